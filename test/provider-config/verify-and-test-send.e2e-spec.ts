import { freePort } from '../support/child-app';
import { startSendGridTestServer, type SendGridTestServer } from '../support/sendgrid';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  aSecret,
  configure,
  createKey,
  getProvider,
  history,
  MASK,
  newTenantId,
  sendGridBody,
  sendTest,
  smtpBlock,
  type TestKey,
  verify,
} from '../factories/provider-config';

const SMTP_USER = 'mailer@example.test';
const SMTP_PASS = aSecret('smtp-pass');
const SENDGRID_KEY = `SG.${aSecret('sendgrid')}`;

describe('POST /api/v3/verify-email-provider and /api/v3/send-test-email', () => {
  let t: TestApp;
  let plain: SmtpTestServer;
  let implicit: SmtpTestServer;
  let sendgrid: SendGridTestServer;

  beforeAll(async () => {
    [plain, implicit, sendgrid] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: SMTP_USER, pass: SMTP_PASS } }),
      startSmtpTestServer({ tls: 'implicit', auth: { user: SMTP_USER, pass: SMTP_PASS } }),
      startSendGridTestServer({ apiKey: SENDGRID_KEY }),
    ]);
    t = await startTestApp({ env: { SENDGRID_API_URL: sendgrid.url } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([plain.close(), implicit.close(), sendgrid.close()]);
  });
  beforeEach(() => {
    plain.reset();
    implicit.reset();
    sendgrid.reset();
  });

  const newKey = (scopes = ['provider:write', 'provider:read']): Promise<TestKey> =>
    createKey(t, newTenantId(), scopes);

  const smtpBody = (server: SmtpTestServer, pass = SMTP_PASS, secure = false) => ({
    type: 'custom',
    enabled: true,
    smtpConfig: smtpBlock({ port: server.port, user: SMTP_USER, pass, secure }),
  });

  async function savedWith(body: Record<string, unknown>): Promise<TestKey> {
    const key = await newKey();
    const res = await configure(t, key.token, body);
    expect(res.body.statusCode).toBe(200);
    return key;
  }

  describe('verify', () => {
    it('connects and authenticates with the saved SMTP config, sends nothing, and stores the success', async () => {
      const key = await savedWith(smtpBody(plain));
      const res = await verify(t, key.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ statusCode: 200, data: { ok: true } });
      expect(res.body.data).not.toHaveProperty('error');
      expect(plain.connections).toBeGreaterThan(0);
      expect(plain.messages).toHaveLength(0);
      const saved = (await getProvider(t, key.token)).body.data;
      expect(saved).toMatchObject({
        version: 1,
        lastVerifyError: null,
        lastVerifiedAt: expect.any(String),
      });
      const audit = (await history(t, key.token)).body.data.list;
      expect(audit[0]).toMatchObject({ action: 'verify', version: 1, changes: { result: 'ok' } });
    });

    it('reports a wrong password as class auth, stores it, and never echoes the password', async () => {
      const wrong = aSecret('wrong');
      const key = await savedWith(smtpBody(plain, wrong));
      const res = await verify(t, key.token);
      expect(res.body.data).toEqual({
        ok: false,
        error: { class: 'auth', code: 'SMTP_535', status: 535, message: expect.any(String) },
      });
      expect(res.text).not.toContain(wrong);
      const saved = (await getProvider(t, key.token)).body.data;
      expect(saved.lastVerifyError).toEqual(res.body.data.error);
      expect(t.logs.join('\n')).not.toContain(wrong);
    });

    it('reports nothing listening as class transient for an unsaved config, storing nothing', async () => {
      const key = await savedWith(smtpBody(plain));
      const port = await freePort();
      const res = await verify(t, key.token, {
        type: 'custom',
        smtpConfig: smtpBlock({ port, user: SMTP_USER, pass: SMTP_PASS }),
      });
      expect(res.body).toMatchObject({
        statusCode: 200,
        data: { ok: false, error: { class: 'transient' } },
      });
      expect((await getProvider(t, key.token)).body.data.lastVerifiedAt).toBeNull();
    });

    it('refuses an implicit-TLS server whose certificate it cannot trust (verification stays on)', async () => {
      const key = await newKey();
      const res = await verify(t, key.token, smtpBody(implicit, SMTP_PASS, true));
      expect(res.body.data).toMatchObject({
        ok: false,
        error: { class: 'config', code: 'TLS_CERTIFICATE' },
      });
    });

    it('accepts the mask in an unsaved config only while host, port and login are unchanged', async () => {
      const key = await savedWith(smtpBody(plain));
      const masked = smtpBody(plain, MASK);
      await expect(verify(t, key.token, masked)).resolves.toMatchObject({
        body: { data: { ok: true } },
      });
      const moved = await verify(t, key.token, {
        ...masked,
        smtpConfig: { ...masked.smtpConfig, smtp_port: implicit.port },
      });
      expect(moved.body).toMatchObject({
        statusCode: 400,
        apiCode: 40002,
        data: { errors: [{ field: 'smtpConfig.senderPass' }] },
      });
      expect(implicit.connections).toBe(0);
    });

    it('checks a SendGrid key without sending', async () => {
      const key = await savedWith(sendGridBody(SENDGRID_KEY));
      await expect(verify(t, key.token)).resolves.toMatchObject({ body: { data: { ok: true } } });
      const wrong = await verify(t, key.token, sendGridBody(`SG.${aSecret('bad')}`));
      expect(wrong.body.data).toMatchObject({ ok: false, error: { class: 'auth', status: 401 } });
      expect(sendgrid.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
        'GET /v3/scopes',
        'GET /v3/scopes',
      ]);
      expect(sendgrid.messages).toHaveLength(0);
    });

    it('answers 404 when nothing is saved and no config is given, 400 for a bad config', async () => {
      const key = await newKey();
      const none = await verify(t, key.token);
      expect(none.status).toBe(200);
      expect(none.body).toMatchObject({ statusCode: 404, apiCode: 40402 });
      const bad = await verify(t, key.token, { type: 'custom', smtpConfig: { smtp_port: 0 } });
      expect(bad.body).toMatchObject({ statusCode: 400, apiCode: 40000 });
    });

    it('needs provider:write', async () => {
      const key = await newKey(['provider:read']);
      expect((await verify(t, key.token)).body).toMatchObject({ statusCode: 403 });
    });
  });

  describe('send-test-email', () => {
    it('sends a labelled test message through the saved SMTP config', async () => {
      const key = await savedWith(smtpBody(plain));
      const res = await sendTest(t, key.token, { email: 'ada@example.test' });
      expect(res.body).toMatchObject({
        statusCode: 200,
        data: { ok: true, accepted: ['ada@example.test'], rejected: [] },
      });
      const [received] = await plain.waitForMessages(1);
      expect(res.body.data.providerMessageId).toBe(received.queueId);
      expect(received.user).toBe(SMTP_USER);
      expect(received.rcptTo).toEqual(['ada@example.test']);
      expect(received.parsed.from?.value[0].address).toBe(SMTP_USER);
      expect(received.parsed.subject).toBe('mailgate test email');
      expect(received.parsed.text).toContain('test message from mailgate');
    });

    it('sends through a given (unsaved) SendGrid config', async () => {
      const key = await newKey();
      const res = await sendTest(t, key.token, {
        email: 'ada@example.test',
        config: sendGridBody(SENDGRID_KEY),
      });
      expect(res.body.data).toMatchObject({ ok: true });
      const [mail] = await sendgrid.waitForMessages(1);
      expect(res.body.data.providerMessageId).toBe(mail.messageId);
      expect(mail.body.from).toMatchObject({ email: 'noreply@example.test' });
      expect(mail.body.personalizations[0].to).toEqual([{ email: 'ada@example.test' }]);
      expect((await getProvider(t, key.token)).body.data).toBeNull();
    });

    it('reports the error class of a failed send', async () => {
      const key = await savedWith(smtpBody(plain, aSecret('wrong')));
      const res = await sendTest(t, key.token, { email: 'ada@example.test' });
      expect(res.body.data).toMatchObject({ ok: false, error: { class: 'auth' } });
      expect(plain.messages).toHaveLength(0);
    });

    it('answers 400 for a bad address and 404 without any config', async () => {
      const key = await newKey();
      const bad = await sendTest(t, key.token, { email: 'not-an-address' });
      expect(bad.body).toMatchObject({ statusCode: 400, data: { errors: [{ field: 'email' }] } });
      const none = await sendTest(t, key.token, { email: 'ada@example.test' });
      expect(none.body).toMatchObject({ statusCode: 404, apiCode: 40402 });
    });

    it('needs provider:write', async () => {
      const key = await newKey(['provider:read']);
      expect((await sendTest(t, key.token, { email: 'ada@example.test' })).body).toMatchObject({
        statusCode: 403,
      });
    });
  });
});
