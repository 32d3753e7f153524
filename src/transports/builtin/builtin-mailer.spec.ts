import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startSendGridTestServer } from '../../../test/support/sendgrid';
import { startSmtpTestServer } from '../../../test/support/smtp';
import { thrownBy } from '../../../test/support/thrown';
import { loadEnv, type AppEnv } from '../../config/env';
import { DeliveryError } from '../delivery-error';
import type { OutboundEmail } from '../mail-transport.interface';
import { builtinFrom, createBuiltinTransport, parseBuiltinMailerUrl } from './builtin-mailer';
import { CaptureTransport } from './capture.transport';

const message: OutboundEmail = {
  messageId: 'builtin-42',
  to: [{ name: 'Åsa Öberg', email: 'asa@example.se' }],
  bcc: [{ email: 'audit@example.com' }],
  subject: 'Välkommen ✉',
  text: 'plain',
  html: '<p>html <img src="cid:pic"></p>',
  attachments: [
    { filename: 'pic.png', contentType: 'image/png', content: Buffer.from([1, 2, 3]), cid: 'pic' },
    { filename: 'data.bin', content: Buffer.from([0, 255, 16]) },
  ],
  headers: { 'X-Tenant': 'acme' },
};

describe('built-in mailer', () => {
  let dataDir: string;

  function env(vars: Record<string, string>): AppEnv {
    return loadEnv({ MAILGATE_DATA_DIR: dataDir, ...vars });
  }

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-builtin-'));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe('parseBuiltinMailerUrl', () => {
    it.each([
      [
        'smtp://user%40corp.example:p%40ss%3Aw%2Frd@relay.example.com:2525',
        {
          kind: 'smtp',
          host: 'relay.example.com',
          port: 2525,
          secure: false,
          auth: { user: 'user@corp.example', pass: 'p@ss:w/rd' },
        },
      ],
      [
        'smtp://relay.example.com',
        { kind: 'smtp', host: 'relay.example.com', port: 587, secure: false, auth: undefined },
      ],
      [
        'smtps://u:p@smtp.example.com',
        {
          kind: 'smtp',
          host: 'smtp.example.com',
          port: 465,
          secure: true,
          auth: { user: 'u', pass: 'p' },
        },
      ],
      [
        'smtp://u:p@[::1]:25',
        { kind: 'smtp', host: '::1', port: 25, secure: false, auth: { user: 'u', pass: 'p' } },
      ],
      ['sendgrid://SG.abc.def@default', { kind: 'sendgrid', apiKey: 'SG.abc.def' }],
      [
        'sendgrid://apikey:SG.abc.def@api.eu.sendgrid.com',
        { kind: 'sendgrid', apiKey: 'SG.abc.def', baseUrl: 'https://api.eu.sendgrid.com' },
      ],
      ['capture://', { kind: 'capture' }],
    ])('%s', (url, expected) => {
      expect(parseBuiltinMailerUrl(url)).toEqual(expected);
    });

    it.each([
      'not a url',
      'http://u:secret-pass@host',
      'smtp://u:secret-pass%ZZ@host',
      'sendgrid://@default',
    ])('refuses %s with config, without repeating it', (url) => {
      let error: unknown;
      try {
        parseBuiltinMailerUrl(url);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ errorClass: 'config', code: 'BUILTIN_MAILER_URL' });
      expect((error as Error).message).not.toContain('secret-pass');
    });
  });

  it.each([
    [
      'Mailgate <noreply@mailgate.example>',
      { name: 'Mailgate', email: 'noreply@mailgate.example' },
    ],
    ['"Ops, Team" <ops@example.com>', { name: 'Ops, Team', email: 'ops@example.com' }],
    ['<bare@example.com>', { email: 'bare@example.com' }],
    ['plain@example.com', { email: 'plain@example.com' }],
    ['邮件 <noreply@例子.中国>', { name: '邮件', email: 'noreply@xn--fsqu00a.xn--fiqs8s' }],
  ])('builtinFrom(%s)', (value, expected) => {
    expect(builtinFrom(value)).toEqual(expected);
  });

  describe('capture://', () => {
    it('renders the full MIME, sends nothing and uses BUILTIN_MAIL_FROM', async () => {
      const transport = createBuiltinTransport(
        env({
          BUILTIN_MAILER_URL: 'capture://',
          BUILTIN_MAIL_FROM: 'Mailgate Dev <dev@mailgate.example>',
        }),
      );
      expect(transport).toBeInstanceOf(CaptureTransport);
      expect(transport.name).toBe('builtin');
      await expect(transport.verify()).resolves.toBeUndefined();

      const result = await transport.send(message);
      expect(result.accepted).toEqual(['asa@example.se', 'audit@example.com']);
      expect(result.providerMessageId).toBe('<builtin-42@mailgate.example>');
      expect(result.capturedMime).toContain('\r\n');

      const parsed = await simpleParser(result.capturedMime ?? '', { keepCidLinks: true });
      expect(parsed.from?.value).toEqual([
        { name: 'Mailgate Dev', address: 'dev@mailgate.example' },
      ]);
      expect(parsed.subject).toBe('Välkommen ✉');
      expect(parsed.messageId).toBe('<builtin-42@mailgate.example>');
      expect(parsed.bcc).toBeUndefined();
      expect(parsed.text?.trim()).toBe('plain');
      expect(parsed.html).toContain('cid:pic');
      expect(parsed.attachments.map((a) => [a.filename, a.cid, [...a.content]])).toEqual([
        ['pic.png', 'pic', [1, 2, 3]],
        ['data.bin', undefined, [0, 255, 16]],
      ]);
      expect(parsed.headers.get('x-tenant')).toBe('acme');
      await transport.close();
    });

    it('keeps the message’s own From', async () => {
      const transport = createBuiltinTransport(env({ BUILTIN_MAILER_URL: 'capture://' }));
      const result = await transport.send({ ...message, from: { email: 'app@tenant.example' } });
      const parsed = await simpleParser(result.capturedMime ?? '');
      expect(parsed.from?.value[0].address).toBe('app@tenant.example');
      expect(parsed.messageId).toBe('<builtin-42@tenant.example>');
    });

    it('is refused in production', () => {
      const production = env({ BUILTIN_MAILER_URL: 'capture://' });
      const prodEnv: AppEnv = { ...production, app: { ...production.app, production: true } };
      expect(thrownBy(() => createBuiltinTransport(prodEnv))).toMatchObject({
        errorClass: 'config',
        code: 'BUILTIN_CAPTURE_IN_PRODUCTION',
      });
    });
  });

  it('smtp:// delivers with STARTTLS and the URL-decoded credentials', async () => {
    const smtp = await startSmtpTestServer({
      tls: 'starttls',
      auth: { user: 'relay@corp.example', pass: 'p@ss:w/rd %' },
    });
    const transport = createBuiltinTransport(
      env({
        BUILTIN_MAILER_URL: `smtp://relay%40corp.example:p%40ss%3Aw%2Frd%20%25@127.0.0.1:${smtp.port}`,
        BUILTIN_MAIL_FROM: 'noreply@mailgate.example',
      }),
      { tls: { ca: smtp.ca } },
    );
    try {
      expect(transport.name).toBe('builtin');
      await transport.send(message);
      const [received] = await smtp.waitForMessages(1);
      expect(received.secure).toBe(true);
      expect(received.user).toBe('relay@corp.example');
      expect(received.mailFrom).toBe('noreply@mailgate.example');
      expect(received.rcptTo).toEqual(['asa@example.se', 'audit@example.com']);
    } finally {
      await transport.close();
      await smtp.close();
    }
  });

  it('smtps:// delivers over implicit TLS', async () => {
    const smtp = await startSmtpTestServer({ tls: 'implicit' });
    const transport = createBuiltinTransport(
      env({
        BUILTIN_MAILER_URL: `smtps://mailer%40example.test:test-password@127.0.0.1:${smtp.port}`,
      }),
      { tls: { ca: smtp.ca } },
    );
    try {
      await transport.send(message);
      const [received] = await smtp.waitForMessages(1);
      expect(received.secure).toBe(true);
      expect(received.mailFrom).toBe('mailgate@localhost');
    } finally {
      await transport.close();
      await smtp.close();
    }
  });

  it('sendgrid://KEY@default sends through SENDGRID_API_URL', async () => {
    const sendgrid = await startSendGridTestServer({ apiKey: 'SG.builtin.key' });
    const transport = createBuiltinTransport(
      env({
        BUILTIN_MAILER_URL: 'sendgrid://SG.builtin.key@default',
        BUILTIN_MAIL_FROM: 'Mailgate <noreply@mailgate.example>',
        SENDGRID_API_URL: sendgrid.url,
      }),
    );
    try {
      expect(transport.name).toBe('builtin');
      const result = await transport.send(message);
      const [mail] = await sendgrid.waitForMessages(1);
      expect(mail.body.from).toEqual({ email: 'noreply@mailgate.example', name: 'Mailgate' });
      expect(result.providerMessageId).toBe(mail.messageId);
    } finally {
      await transport.close();
      await sendgrid.close();
    }
  });
});
