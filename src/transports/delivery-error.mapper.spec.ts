import { DeliveryError, type DeliveryErrorClass } from './delivery-error';
import {
  mapSendGridError,
  mapSendGridStatus,
  mapSmtpError,
  parseRetryAfter,
} from './delivery-error.mapper';

/** A nodemailer-shaped error, as its SMTP connection builds them. */
function smtpError(fields: Record<string, unknown>): Error {
  return Object.assign(
    new Error(typeof fields.message === 'string' ? fields.message : 'boom'),
    fields,
  );
}

describe('mapSmtpError', () => {
  it.each<[string, Record<string, unknown>, DeliveryErrorClass, string, number | undefined]>([
    [
      '535 on AUTH',
      { code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN', response: '535 5.7.8 Error' },
      'auth',
      'SMTP_535',
      535,
    ],
    ['534 mechanism too weak', { code: 'EAUTH', responseCode: 534 }, 'auth', 'SMTP_534', 534],
    [
      '530 auth required on MAIL',
      { code: 'EENVELOPE', responseCode: 530, command: 'MAIL FROM' },
      'auth',
      'SMTP_530',
      530,
    ],
    ['EAUTH without reply', { code: 'EAUTH' }, 'auth', 'EAUTH', undefined],
    [
      '454 temporary auth failure',
      { code: 'EAUTH', responseCode: 454 },
      'transient',
      'SMTP_454',
      454,
    ],
    ['ENOAUTH', { code: 'ENOAUTH' }, 'config', 'ENOAUTH', undefined],
    [
      '421 at greeting',
      { code: 'ECONNECTION', responseCode: 421, command: 'CONN' },
      'rate_limited',
      'SMTP_421',
      421,
    ],
    ['450 on RCPT', { code: 'EENVELOPE', responseCode: 450 }, 'rate_limited', 'SMTP_450', 450],
    [
      '451 on RCPT',
      { code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO' },
      'rate_limited',
      'SMTP_451',
      451,
    ],
    ['452 on RCPT', { code: 'EENVELOPE', responseCode: 452 }, 'rate_limited', 'SMTP_452', 452],
    ['441 other 4xx', { code: 'EMESSAGE', responseCode: 441 }, 'transient', 'SMTP_441', 441],
    [
      '554 on DATA',
      { code: 'EMESSAGE', responseCode: 554, command: 'DATA' },
      'rejected',
      'SMTP_554',
      554,
    ],
    [
      '550 on RCPT',
      { code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO' },
      'rejected',
      'SMTP_550',
      550,
    ],
    ['553 on MAIL FROM', { code: 'EENVELOPE', responseCode: 553 }, 'rejected', 'SMTP_553', 553],
    ['552 too big', { code: 'EMESSAGE', responseCode: 552 }, 'rejected', 'SMTP_552', 552],
    ['503 bad sequence', { code: 'EPROTOCOL', responseCode: 503 }, 'transient', 'SMTP_503', 503],
    [
      'connection refused',
      { code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' },
      'transient',
      'ESOCKET',
      undefined,
    ],
    ['connection closed', { code: 'ECONNECTION' }, 'transient', 'ECONNECTION', undefined],
    [
      'timeout',
      { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' },
      'transient',
      'ETIMEDOUT',
      undefined,
    ],
    ['DNS failure', { code: 'EDNS', originalCode: 'ENOTFOUND' }, 'transient', 'EDNS', undefined],
    [
      'TLS handshake failure',
      { code: 'ETLS', message: 'Error initiating TLS - wrong version number' },
      'transient',
      'ETLS',
      undefined,
    ],
    ['protocol error', { code: 'EPROTOCOL' }, 'transient', 'EPROTOCOL', undefined],
    [
      'untrusted certificate (implicit TLS)',
      { code: 'ESOCKET', originalCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
      'config',
      'TLS_CERTIFICATE',
      undefined,
    ],
    [
      'self-signed certificate',
      { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
      'config',
      'TLS_CERTIFICATE',
      undefined,
    ],
    [
      'expired certificate',
      { code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' },
      'config',
      'TLS_CERTIFICATE',
      undefined,
    ],
    [
      'host name mismatch',
      { code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      'config',
      'TLS_CERTIFICATE',
      undefined,
    ],
    [
      'certificate failure after STARTTLS',
      {
        code: 'ETLS',
        message: 'Error initiating TLS - self-signed certificate in certificate chain',
      },
      'config',
      'TLS_CERTIFICATE',
      undefined,
    ],
    [
      'no recipients',
      { code: 'EENVELOPE', message: 'No recipients defined' },
      'rejected',
      'EENVELOPE',
      undefined,
    ],
    ['too many recipients', { code: 'EMAXRECIPIENTS' }, 'rejected', 'EMAXRECIPIENTS', undefined],
    ['file access refused', { code: 'EFILEACCESS' }, 'rejected', 'EFILEACCESS', undefined],
    ['bad configuration', { code: 'ECONFIG' }, 'config', 'ECONFIG', undefined],
    ['unknown error', { message: 'weird' }, 'transient', 'SMTP_UNKNOWN', undefined],
    [
      'queued send of a closed pool',
      { message: 'Connection pool was closed' },
      'transient',
      'TRANSPORT_CLOSED',
      undefined,
    ],
  ])('%s → %s', (_label, fields, errorClass, code, status) => {
    const mapped = mapSmtpError(smtpError(fields));
    expect(mapped).toBeInstanceOf(DeliveryError);
    expect(mapped.errorClass).toBe(errorClass);
    expect(mapped.code).toBe(code);
    expect(mapped.status).toBe(status);
  });

  it('keeps the reply code, enhanced status and command, never the reply text', () => {
    const mapped = mapSmtpError(
      smtpError({
        code: 'EAUTH',
        responseCode: 535,
        command: 'AUTH PLAIN',
        response: '535 5.7.8 Authentication failed for AHVzZXIAaHVudGVyMg== (user/hunter2)',
        message: 'Invalid login: 535 5.7.8 Authentication failed for AHVzZXIAaHVudGVyMg==',
      }),
    );
    expect(mapped.message).toBe('SMTP authentication failed (535 5.7.8 at AUTH PLAIN)');
    expect(JSON.stringify(mapped)).not.toMatch(/hunter2|AHVzZXIAaHVudGVyMg/);
    expect(mapped.cause).toBeUndefined();
  });

  it('names the socket error and the step of a connection failure', () => {
    const mapped = mapSmtpError(
      smtpError({
        code: 'ESOCKET',
        originalCode: 'ECONNREFUSED',
        command: 'CONN',
        message: 'connect ECONNREFUSED 10.0.0.1:25',
      }),
    );
    expect(mapped.message).toBe('SMTP connection failed (ECONNREFUSED at CONN)');
  });

  it('passes a DeliveryError through unchanged', () => {
    const error = new DeliveryError('rejected', 'x', { code: 'FROM_MISMATCH' });
    expect(mapSmtpError(error)).toBe(error);
  });

  it('maps a non-Error value', () => {
    expect(mapSmtpError('socket hang up').errorClass).toBe('transient');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it.each<[string, Record<string, string>, number | undefined]>([
    ['delta seconds', { 'Retry-After': '7' }, 7_000],
    ['HTTP date', { 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, 30_000],
    ['date in the past', { 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }, 0],
    ['X-RateLimit-Reset epoch seconds', { 'x-ratelimit-reset': String(now / 1000 + 12) }, 12_000],
    [
      'Retry-After wins over X-RateLimit-Reset',
      { 'retry-after': '3', 'x-ratelimit-reset': String(now / 1000 + 60) },
      3_000,
    ],
    ['capped at a day', { 'retry-after': '9999999' }, 86_400_000],
    ['garbage', { 'retry-after': 'soon' }, undefined],
    ['absent', {}, undefined],
  ])('%s', (_label, headers, expected) => {
    expect(parseRetryAfter(headers, now)).toBe(expected);
  });

  it('reads headers through a get() accessor (axios headers)', () => {
    const headers = { get: (name: string) => (name === 'retry-after' ? '5' : undefined) };
    expect(parseRetryAfter(headers, now)).toBe(5_000);
  });
});

describe('mapSendGridStatus', () => {
  it.each<[number, DeliveryErrorClass]>([
    [400, 'rejected'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'config'],
    [408, 'transient'],
    [413, 'rejected'],
    [415, 'rejected'],
    [429, 'rate_limited'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
  ])('HTTP %i → %s', (status, errorClass) => {
    const mapped = mapSendGridStatus(status);
    expect(mapped.errorClass).toBe(errorClass);
    expect(mapped.status).toBe(status);
    expect(mapped.code).toBe(`HTTP_${status}`);
  });

  it('429 carries Retry-After', () => {
    expect(mapSendGridStatus(429, { 'retry-after': '42' }).retryAfterMs).toBe(42_000);
  });

  it('400 names the failing fields but not SendGrid’s messages (they quote addresses)', () => {
    const mapped = mapSendGridStatus(400, undefined, {
      errors: [
        { field: 'personalizations.0.to', message: 'You included victim@example.com twice' },
        { field: 'from.email', message: 'bad' },
        { field: 'evil field; drop', message: 'x' },
      ],
    });
    expect(mapped.message).toBe(
      'SendGrid rejected the message as invalid: personalizations.0.to, from.email (HTTP 400)',
    );
  });
});

describe('mapSendGridError', () => {
  it('maps @sendgrid/client ResponseError by its status', () => {
    const responseError = Object.assign(new Error('Unauthorized'), {
      code: 401,
      response: { headers: {}, body: { errors: [{ message: 'bad key SG.secret' }] } },
    });
    const mapped = mapSendGridError(responseError);
    expect(mapped.errorClass).toBe('auth');
    expect(mapped.message).not.toContain('SG.secret');
  });

  it('maps a network failure (axios error without response) to transient', () => {
    const axiosError = Object.assign(new Error('connect ECONNREFUSED'), {
      isAxiosError: true,
      code: 'ECONNREFUSED',
      config: { headers: { Authorization: 'Bearer SG.secret' } },
    });
    const mapped = mapSendGridError(axiosError);
    expect(mapped.errorClass).toBe('transient');
    expect(mapped.code).toBe('ECONNREFUSED');
    expect(JSON.stringify(mapped)).not.toContain('SG.secret');
  });

  it('maps a certificate failure to config', () => {
    const mapped = mapSendGridError(
      Object.assign(new Error('self-signed certificate'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
        isAxiosError: true,
      }),
    );
    expect(mapped.errorClass).toBe('config');
  });

  it('maps an invalid header character (a key with a line break) to config', () => {
    expect(
      mapSendGridError(Object.assign(new TypeError('x'), { code: 'ERR_INVALID_CHAR' })).errorClass,
    ).toBe('config');
  });

  it('maps a payload builder error to rejected', () => {
    expect(mapSendGridError(new Error('String expected for `name`')).errorClass).toBe('rejected');
  });
});
