import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  aSecret,
  configure,
  createKey,
  getProvider,
  newTenantId,
  sendTest,
  smtpBlock,
  verify,
} from '../factories/provider-config';

const SMTP_USER = 'mailer@example.test';
const SMTP_PASS = aSecret('tls-pass');

/**
 * Implicit TLS (port-465 style) with certificates from a private test CA, which the gateway
 * trusts through the transport factory's test wiring; the Ali and Tencent presets are pointed at
 * the same loopback server, so every SMTP type is verified and test-sent for real.
 */
describe('verify and test-send over implicit TLS with a trusted test CA', () => {
  let server: SmtpTestServer;
  let t: TestApp;

  beforeAll(async () => {
    server = await startSmtpTestServer({
      tls: 'implicit',
      auth: { user: SMTP_USER, pass: SMTP_PASS },
    });
    const preset = { host: '127.0.0.1', port: server.port, secure: true };
    t = await startTestApp({
      overrides: {
        transports: { smtp: { tls: { ca: server.ca } }, smtpPresets: { ali: preset, qq: preset } },
      },
    });
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });
  beforeEach(() => server.reset());

  const bodies = {
    custom: (pass: string) => ({
      type: 'custom',
      enabled: true,
      smtpConfig: smtpBlock({ port: server.port, user: SMTP_USER, pass, secure: true }),
    }),
    ali: (pass: string) => ({
      type: 'ali',
      enabled: true,
      aliExmailConfig: { sender: SMTP_USER, senderPass: pass },
    }),
    qq: (pass: string) => ({
      type: 'qq',
      enabled: true,
      tencentExmailConfig: { sender: SMTP_USER, senderPass: pass },
    }),
  };

  it.each(['custom', 'ali', 'qq'] as const)(
    'verifies a saved %s config, then sends the test message encrypted',
    async (type) => {
      const key = await createKey(t, newTenantId());
      expect((await configure(t, key.token, bodies[type](SMTP_PASS))).body.statusCode).toBe(200);

      const verified = await verify(t, key.token);
      expect(verified.body).toMatchObject({ statusCode: 200, data: { ok: true } });
      expect(server.messages).toHaveLength(0);
      expect((await getProvider(t, key.token)).body.data.lastVerifiedAt).toEqual(
        expect.any(String),
      );

      const sent = await sendTest(t, key.token, { email: 'ada@example.test' });
      expect(sent.body.data).toMatchObject({ ok: true, accepted: ['ada@example.test'] });
      const [received] = await server.waitForMessages(1);
      expect(received.secure).toBe(true);
      expect(received.user).toBe(SMTP_USER);
      expect(received.mailFrom).toBe(SMTP_USER);
      expect(received.parsed.subject).toBe('mailgate test email');
      expect(sent.body.data.providerMessageId).toBe(received.queueId);
    },
  );

  it.each(['custom', 'ali', 'qq'] as const)(
    'reports a wrong %s password as class auth over TLS',
    async (type) => {
      const key = await createKey(t, newTenantId(), ['provider:write']);
      const wrong = aSecret('wrong');
      const res = await verify(t, key.token, bodies[type](wrong));
      expect(res.body.data).toMatchObject({ ok: false, error: { class: 'auth', status: 535 } });
      expect(res.text).not.toContain(wrong);
    },
  );
});
