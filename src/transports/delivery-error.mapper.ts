import { isEgressDenied } from '../common/egress';
import { DeliveryError, type DeliveryErrorClass } from './delivery-error';

/**
 * The one place where nodemailer errors, SMTP replies and SendGrid HTTP answers become a
 * `DeliveryError`. Messages are fixed per case plus numeric codes: a server's reply text is never
 * copied, since an SMTP AUTH reply can echo the base64 credentials and an HTTP error object
 * carries the `Authorization` header. No `cause` is attached for the same reason.
 */

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}

function stringProp(value: Json, key: string): string | undefined {
  const prop = value[key];
  return typeof prop === 'string' ? prop : undefined;
}

function numberProp(value: Json, key: string): number | undefined {
  const prop = value[key];
  return typeof prop === 'number' && Number.isFinite(prop) ? prop : undefined;
}

/** Only short upper-case error codes (ECONNREFUSED, ERR_NETWORK…) are ever copied into a code. */
function safeCode(code: string | undefined): string | undefined {
  return code !== undefined && /^[A-Z][A-Z0-9_]{1,39}$/.test(code) ? code : undefined;
}

/** Node/OpenSSL verification failures: the peer is not who we trust, retrying will not help. */
const TLS_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function isCertificateFailure(error: Json): boolean {
  const codes = [stringProp(error, 'originalCode'), stringProp(error, 'code')];
  if (codes.some((code) => code !== undefined && TLS_CERTIFICATE_CODES.has(code))) {
    return true;
  }
  // nodemailer's STARTTLS path can replace the code with ETLS and keep only Node's message.
  const code = stringProp(error, 'code');
  const message = stringProp(error, 'message') ?? '';
  return (
    (code === 'ETLS' || code === 'ESOCKET') &&
    numberProp(error, 'responseCode') === undefined &&
    /certificate|self[- ]signed|altnames/i.test(message)
  );
}

function certificateError(what: 'SMTP server' | 'SendGrid API'): DeliveryError {
  return new DeliveryError(
    'config',
    `The ${what} presented a TLS certificate that is not trusted or does not match its host name (private CAs go in NODE_EXTRA_CA_CERTS)`,
    { code: 'TLS_CERTIFICATE' },
  );
}

// ---------------------------------------------------------------------------------------------
// SMTP (nodemailer)

/** Throttling replies: 421 service closing, 450/451 try later (greylisting, rate limits), 452 too many recipients/storage. */
const SMTP_THROTTLE_REPLIES = new Set([421, 450, 451, 452]);
/** 530 auth required, 534 mechanism too weak, 535 credentials invalid (RFC 4954 §6). */
const SMTP_AUTH_REPLIES = new Set([530, 534, 535]);

const SMTP_TRANSIENT_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'ESTREAM',
  'EMAXLIMIT',
  'EPROXY',
  'EABORT',
]);

/** `(535 5.7.8 at AUTH PLAIN)`: reply code, RFC 3463 enhanced status and nodemailer's command label; never the reply text. */
function smtpDetail(responseCode: number | undefined, error: Json): string {
  const parts: string[] = [];
  // ECONNREFUSED, GREETING_TIMEOUT…: what happened to the socket, in nodemailer's own words.
  for (const key of ['originalCode', 'timeoutType']) {
    const value = safeCode(stringProp(error, key));
    if (value !== undefined) {
      parts.push(value);
    }
  }
  if (responseCode !== undefined) {
    parts.push(String(responseCode));
    const enhanced = /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b/.exec(
      stringProp(error, 'response') ?? '',
    );
    if (enhanced) {
      parts.push(enhanced[1]);
    }
  }
  const command = stringProp(error, 'command');
  if (command !== undefined && /^[A-Z][A-Z ]{1,19}$/.test(command)) {
    parts.push(`at ${command}`);
  }
  return parts.length > 0 ? ` (${parts.join(' ')})` : '';
}

function fromReply(responseCode: number, detail: string): DeliveryError {
  const options = { status: responseCode, code: `SMTP_${responseCode}` };
  if (SMTP_AUTH_REPLIES.has(responseCode)) {
    return new DeliveryError('auth', `SMTP authentication failed${detail}`, options);
  }
  if (SMTP_THROTTLE_REPLIES.has(responseCode)) {
    return new DeliveryError(
      'rate_limited',
      `SMTP server is throttling, try later${detail}`,
      options,
    );
  }
  if (responseCode >= 400 && responseCode < 500) {
    return new DeliveryError('transient', `SMTP server temporarily refused${detail}`, options);
  }
  // 503 is a bad command sequence on this session, not a verdict on the message.
  if (responseCode === 503) {
    return new DeliveryError('transient', `SMTP session out of sequence${detail}`, options);
  }
  if (responseCode >= 500 && responseCode < 600) {
    return new DeliveryError('rejected', `SMTP server rejected the message${detail}`, options);
  }
  return new DeliveryError('transient', `Unexpected SMTP reply${detail}`, options);
}

/** Maps anything nodemailer throws (or an SMTP reply it attached) to a DeliveryError. */
export function mapSmtpError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) {
    return error;
  }
  if (isEgressDenied(error)) {
    return new DeliveryError('config', error.message, { code: error.code });
  }
  const e = isRecord(error) ? error : {};
  const code = stringProp(e, 'code');
  const responseCode = numberProp(e, 'responseCode');
  const detail = smtpDetail(responseCode, e);

  if (isCertificateFailure(e)) {
    return certificateError('SMTP server');
  }
  // STARTTLS refused (5xx): sent because a login must not travel in clear (requireTLS).
  if (
    code === 'ETLS' &&
    stringProp(e, 'command') === 'STARTTLS' &&
    responseCode !== undefined &&
    responseCode >= 500
  ) {
    return new DeliveryError(
      'config',
      `The SMTP server does not offer STARTTLS, and mailgate never sends a login without TLS: enable STARTTLS on the server, or use port 465 with secure: true${detail}`,
      { code: 'STARTTLS_REQUIRED', status: responseCode },
    );
  }
  if (code === 'ENOAUTH') {
    return new DeliveryError('config', 'SMTP credentials are missing', { code });
  }
  if (
    (code === 'EAUTH' || code === 'EOAUTH2') &&
    (responseCode === undefined || responseCode >= 500)
  ) {
    return new DeliveryError('auth', `SMTP authentication failed${detail}`, {
      code: responseCode === undefined ? code : `SMTP_${responseCode}`,
      status: responseCode,
    });
  }
  if (responseCode !== undefined) {
    const mapped = fromReply(responseCode, detail);
    // 5xx to the message itself (after DATA): a bounce of every recipient, not a broken session.
    if (
      code === 'EMESSAGE' &&
      stringProp(e, 'command') === 'DATA' &&
      mapped.errorClass === 'rejected'
    ) {
      return new DeliveryError('rejected', mapped.message, {
        status: responseCode,
        code: mapped.code,
        bounce: true,
      });
    }
    return mapped;
  }
  if (code !== undefined && SMTP_TRANSIENT_CODES.has(code)) {
    return new DeliveryError('transient', `SMTP connection failed${detail}`, { code });
  }
  switch (code ?? '') {
    case 'EENVELOPE':
    case 'EMESSAGE':
    case 'EMAXRECIPIENTS':
    case 'EFILEACCESS':
    case 'EURLACCESS':
      return new DeliveryError('rejected', `Message refused before sending${detail}`, { code });
    case 'ECONFIG':
    case 'EREQUIRETLS':
      return new DeliveryError('config', `SMTP transport misconfigured${detail}`, { code });
    default:
      // nodemailer fails queued sends of a closed pool with a bare Error.
      if (/pool was closed/i.test(stringProp(e, 'message') ?? '')) {
        return new DeliveryError('transient', 'Transport was closed before the message was sent', {
          code: 'TRANSPORT_CLOSED',
        });
      }
      return new DeliveryError('transient', `SMTP delivery failed${detail}`, {
        code: safeCode(code) ?? 'SMTP_UNKNOWN',
      });
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP (SendGrid)

export type HeaderBag = Record<string, unknown> | { get(name: string): unknown } | undefined;

function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (headers === undefined) {
    return undefined;
  }
  let value: unknown;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): unknown }).get(name);
  } else {
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name);
    value = entry?.[1];
  }
  if (Array.isArray(value)) {
    value = value[0];
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : undefined;
}

/** Longest wait we pass on; a bogus far-future header must not park a message for days. */
const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * Milliseconds to wait from `Retry-After` (delta-seconds or HTTP-date, RFC 9110 §10.2.3) or
 * SendGrid's `X-RateLimit-Reset` (epoch seconds,
 * https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits).
 */
export function parseRetryAfter(
  headers: HeaderBag,
  nowMs: number = Date.now(),
): number | undefined {
  const clamp = (ms: number): number => Math.min(Math.max(0, Math.ceil(ms)), MAX_RETRY_AFTER_MS);
  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+$/.test(retryAfter)) {
      return clamp(Number(retryAfter) * 1000);
    }
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) {
      return clamp(date - nowMs);
    }
  }
  const reset = headerValue(headers, 'x-ratelimit-reset');
  if (reset !== undefined && /^\d+$/.test(reset)) {
    return clamp(Number(reset) * 1000 - nowMs);
  }
  return undefined;
}

/** Field names of SendGrid's 400 body (`personalizations.0.to`); its messages may quote addresses, so they stay out. */
function sendGridFields(body: unknown): string[] {
  const errors = isRecord(body) && Array.isArray(body.errors) ? (body.errors as unknown[]) : [];
  const fields = errors
    .map((entry) => (isRecord(entry) ? stringProp(entry, 'field') : undefined))
    .filter(
      (field): field is string => field !== undefined && /^[A-Za-z0-9_.[\]-]{1,80}$/.test(field),
    );
  return [...new Set(fields)].slice(0, 5);
}

/** Classifies one HTTP answer of the SendGrid API (any 2xx never gets here). */
export function mapSendGridStatus(
  status: number,
  headers?: HeaderBag,
  body?: unknown,
  nowMs: number = Date.now(),
): DeliveryError {
  const code = `HTTP_${status}`;
  const at = (cls: DeliveryErrorClass, message: string, retryAfterMs?: number): DeliveryError =>
    new DeliveryError(cls, `${message} (HTTP ${status})`, { status, code, retryAfterMs });
  if (status === 400) {
    const fields = sendGridFields(body);
    return at(
      'rejected',
      `SendGrid rejected the message as invalid${fields.length > 0 ? `: ${fields.join(', ')}` : ''}`,
    );
  }
  if (status === 401 || status === 403) {
    return at('auth', 'SendGrid refused the API key');
  }
  if (status === 404 || status === 405) {
    return at('config', 'SendGrid API endpoint not found, check SENDGRID_API_URL');
  }
  if (status === 413) {
    return at('rejected', 'Message is larger than SendGrid accepts');
  }
  if (status === 429) {
    return at('rate_limited', 'SendGrid rate limit reached', parseRetryAfter(headers, nowMs));
  }
  if (status === 408 || status >= 500) {
    return at('transient', 'SendGrid is temporarily unavailable', parseRetryAfter(headers, nowMs));
  }
  if (status >= 400) {
    return at('rejected', 'SendGrid refused the request');
  }
  return at('transient', 'Unexpected answer from SendGrid');
}

/** Node HTTP client refusals of a header (e.g. an API key with a line break) are configuration, not network. */
const HTTP_CONFIG_CODES = new Set([
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_URL',
]);

/**
 * Maps what `@sendgrid/client` rejects with: its ResponseError (`code` = HTTP status,
 * `response.headers/body`), an axios error without a response (network), or an Error the
 * payload builder threw.
 */
export function mapSendGridError(error: unknown, nowMs: number = Date.now()): DeliveryError {
  if (error instanceof DeliveryError) {
    return error;
  }
  const e = isRecord(error) ? error : {};
  const response = isRecord(e.response) ? e.response : undefined;
  const status =
    numberProp(e, 'code') ?? (response === undefined ? undefined : numberProp(response, 'status'));
  if (status !== undefined && response !== undefined) {
    const headers = isRecord(response.headers) ? (response.headers as HeaderBag) : undefined;
    return mapSendGridStatus(status, headers, response.body ?? response.data, nowMs);
  }
  if (isCertificateFailure(e)) {
    return certificateError('SendGrid API');
  }
  const code = safeCode(stringProp(e, 'code'));
  if (code !== undefined && HTTP_CONFIG_CODES.has(code)) {
    return new DeliveryError('config', `SendGrid request could not be built (${code})`, { code });
  }
  if (e.isAxiosError === true || code !== undefined) {
    return new DeliveryError('transient', `SendGrid API unreachable${code ? ` (${code})` : ''}`, {
      code: code ?? 'NETWORK',
    });
  }
  // @sendgrid/helpers throws plain Errors for a payload it cannot build.
  return new DeliveryError('rejected', 'Message could not be converted for SendGrid', {
    code: 'SENDGRID_PAYLOAD',
  });
}
