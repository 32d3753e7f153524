import { createServer, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { anEmail } from '../factories/emails';
import {
  configure,
  createKey,
  failingFields,
  newTenantId,
  sendTest,
  smtpBlock,
  verify,
  type TestKey,
} from '../factories/provider-config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

const USER = 'relay@example.test';
const PASS = 'relay-pass-0123456789';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('egress policy for tenant SMTP hosts (production mode)', () => {
  let db: TestDatabase;
  let relay: SmtpTestServer;
  let builtin: SmtpTestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    [relay, builtin] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: USER, pass: PASS } }),
      startSmtpTestServer({ tls: 'none', auth: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([relay.close(), builtin.close()]);
    await db.drop();
  });

  function production(extra: Record<string, string> = {}): Promise<TestApp> {
    return startTestApp({
      db,
      env: {
        NODE_ENV: 'production',
        // The operator's own relay on loopback: exempt from the policy.
        BUILTIN_MAILER_URL: `smtp://127.0.0.1:${builtin.port}`,
        BUILTIN_MAIL_FROM: 'mailgate@example.test',
        ...extra,
      },
    });
  }

  const body = (host: string, port = relay.port) => ({
    type: 'custom',
    enabled: true,
    smtpConfig: smtpBlock({ host, port, user: USER, pass: PASS, secure: false }),
  });

  describe('with MAILGATE_ALLOW_PRIVATE_TARGETS unset', () => {
    let t: TestApp;
    let key: TestKey;
    beforeAll(async () => {
      t = await production();
      key = await createKey(t, newTenantId(), [
        'provider:write',
        'provider:read',
        'email:send',
        'email:read',
      ]);
    });
    afterAll(() => t.close({ keepDatabase: true }));

    it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::ffff:127.0.0.1', '100.64.0.1'])(
      'refuses smtp_host %s at save, verify and test-send, naming the field',
      async (host) => {
        const saved = await configure(t, key.token, body(host));
        expect(saved.body).toMatchObject({ statusCode: 400, apiCode: 40000 });
        expect(failingFields(saved)).toEqual(['smtpConfig.smtp_host']);
        const verified = await verify(t, key.token, body(host));
        expect(failingFields(verified)).toEqual(['smtpConfig.smtp_host']);
        const tested = await sendTest(t, key.token, {
          email: 'to@example.test',
          config: body(host),
        });
        expect(failingFields(tested)).toEqual(['config.smtpConfig.smtp_host']);
      },
    );

    it('refuses a host name resolving to loopback at connect time, the same whatever the port state', async () => {
      const saved = await configure(t, key.token, body('localhost'));
      expect(saved.body.statusCode).toBe(200);
      relay.reset();
      const open = await verify(t, key.token);
      const closed = await verify(t, key.token, body('localhost', await closedPort()));
      expect(open.body.data).toEqual({
        ok: false,
        error: {
          class: 'config',
          code: 'EGRESS_DENIED',
          message: expect.stringContaining('loopback') as unknown,
        },
      });
      expect(closed.body.data).toEqual(open.body.data);
      // Nothing reached the relay: the check happens before any packet is sent.
      expect(relay.connections).toBe(0);

      const test = await sendTest(t, key.token, { email: 'to@example.test' });
      expect(test.body.data).toMatchObject({ ok: false, error: { code: 'EGRESS_DENIED' } });
      expect(relay.connections).toBe(0);
    });

    it('keeps the built-in mailer on loopback working', async () => {
      const tenant = await createKey(t, newTenantId(), ['email:send', 'email:read']);
      builtin.reset();
      const sent = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: tenant.token,
        body: anEmail(),
      });
      expect(sent.status).toBe(202);
      await builtin.waitForMessages(1);
    });
  });

  describe.each([
    ['true', 'true'],
    ['a matching CIDR list', '127.0.0.0/8,::1/128'],
  ])('with MAILGATE_ALLOW_PRIVATE_TARGETS=%s', (_label, value) => {
    let t: TestApp;
    beforeAll(async () => {
      t = await production({ MAILGATE_ALLOW_PRIVATE_TARGETS: value });
    });
    afterAll(() => t.close({ keepDatabase: true }));

    it.each(['127.0.0.1', 'localhost'])('saves, verifies and sends through %s', async (host) => {
      const key = await createKey(t, newTenantId(), ['provider:write', 'provider:read']);
      const saved = await configure(t, key.token, body(host));
      expect(saved.body.statusCode).toBe(200);
      const verified = await verify(t, key.token);
      expect(verified.body.data).toEqual({ ok: true });
      relay.reset();
      const sent = await sendTest(t, key.token, { email: 'to@example.test' });
      expect(sent.body.data).toMatchObject({ ok: true });
      await waitFor(() => relay.messages.length === 1, { what: 'the test message' });
    });
  });

  it('still refuses what a CIDR list does not cover', async () => {
    const t = await production({ MAILGATE_ALLOW_PRIVATE_TARGETS: '10.20.0.0/16' });
    try {
      const key = await createKey(t, newTenantId(), ['provider:write', 'provider:read']);
      expect((await configure(t, key.token, body('10.20.1.1'))).body.statusCode).toBe(200);
      expect(failingFields(await configure(t, key.token, body('10.21.1.1')))).toEqual([
        'smtpConfig.smtp_host',
      ]);
    } finally {
      await t.close({ keepDatabase: true });
    }
  });
});
