import {
  configure,
  createKey,
  newTenantId,
  sendTest,
  smtpBlock,
  verify,
  type TestKey,
} from '../factories/provider-config';
import {
  startRecordingProxy,
  startSmtpTestServer,
  type RecordingProxy,
  type SmtpTestServer,
} from '../support/smtp';
import { startTestApp, type TestApp } from '../support/test-app';

const USER = 'relay@example.test';
const PASS = 'never-in-clear-0123456789';

/** Every form the password could take on the wire: as is, and inside AUTH PLAIN / AUTH LOGIN base64. */
function passwordForms(): string[] {
  return [
    PASS,
    Buffer.from(PASS).toString('base64'),
    Buffer.from(`\0${USER}\0${PASS}`).toString('base64'),
  ];
}

describe('no SMTP password in clear (SMTP_ALLOW_PLAINTEXT_AUTH)', () => {
  let plain: SmtpTestServer;
  let starttls: SmtpTestServer;
  let plainProxy: RecordingProxy;
  let starttlsProxy: RecordingProxy;

  beforeAll(async () => {
    [plain, starttls] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: USER, pass: PASS } }),
      startSmtpTestServer({ tls: 'starttls', auth: { user: USER, pass: PASS } }),
    ]);
    [plainProxy, starttlsProxy] = await Promise.all([
      startRecordingProxy(plain.port),
      startRecordingProxy(starttls.port),
    ]);
  });
  afterAll(async () => {
    await Promise.all([plainProxy.close(), starttlsProxy.close()]);
    await Promise.all([plain.close(), starttls.close()]);
  });

  const body = (port: number) => ({
    type: 'custom',
    enabled: true,
    smtpConfig: smtpBlock({ host: '127.0.0.1', port, user: USER, pass: PASS, secure: false }),
  });

  describe('never', () => {
    let t: TestApp;
    let key: TestKey;
    beforeAll(async () => {
      t = await startTestApp({
        env: { SMTP_ALLOW_PLAINTEXT_AUTH: 'never' },
        overrides: { transports: { smtp: { tls: { ca: starttls.ca } } } },
      });
      key = await createKey(t, newTenantId());
    });
    afterAll(() => t.close());

    it('fails verify and test-send with STARTTLS_REQUIRED, and the password never crosses the wire', async () => {
      plainProxy.reset();
      expect((await configure(t, key.token, body(plainProxy.port))).body.statusCode).toBe(200);
      const verified = await verify(t, key.token);
      expect(verified.body.data).toEqual({
        ok: false,
        error: {
          class: 'config',
          code: 'STARTTLS_REQUIRED',
          status: expect.any(Number) as unknown,
          message: expect.stringMatching(
            /enable STARTTLS on the server, or use port 465 with secure: true/,
          ) as unknown,
        },
      });
      const tested = await sendTest(t, key.token, { email: 'to@example.test' });
      expect(tested.body.data).toMatchObject({ ok: false, error: { code: 'STARTTLS_REQUIRED' } });

      const wire = plainProxy.received().toString('latin1');
      expect(wire).toMatch(/EHLO/);
      expect(wire).toMatch(/STARTTLS/);
      expect(wire).not.toMatch(/AUTH/);
      for (const form of passwordForms()) {
        expect(wire).not.toContain(form);
      }
      expect(plain.messages).toHaveLength(0);
    });

    it('authenticates after STARTTLS when the server offers it (password only inside TLS)', async () => {
      starttlsProxy.reset();
      expect((await configure(t, key.token, body(starttlsProxy.port))).body.statusCode).toBe(200);
      expect((await verify(t, key.token)).body.data).toEqual({ ok: true });
      const wire = starttlsProxy.received().toString('latin1');
      expect(wire).toMatch(/STARTTLS/);
      for (const form of passwordForms()) {
        expect(wire).not.toContain(form);
      }
    });
  });

  describe('loopback (the default)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp();
    });
    afterAll(() => t.close());

    it('lets a relay on 127.0.0.1 take the login without TLS, as Postfix exempts local clients', async () => {
      const key = await createKey(t, newTenantId());
      expect((await configure(t, key.token, body(plain.port))).body.statusCode).toBe(200);
      expect((await verify(t, key.token)).body.data).toEqual({ ok: true });
    });
  });
});
