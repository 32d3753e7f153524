import { randomBytes } from 'node:crypto';
import { query } from '../support/database';
import { startSendGridTestServer, type SendGridTestServer } from '../support/sendgrid';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import {
  http,
  startTestApp,
  TEST_ROOT_KEY,
  TEST_SECRET_KEY,
  waitFor,
  type TestApp,
} from '../support/test-app';
import { anEmail, newTenantId, rootHeaders, type TestKey } from '../factories/emails';
import type { Answer } from './support/gateway';

/** A secret no other test uses, so a scan can only find it where it leaked. */
const secret = (label: string): string => `${label}-${randomBytes(12).toString('base64url')}`;

const LOGIN = {
  custom: 'custom@example.test',
  ali: 'mailer@ali.example.test',
  qq: 'mailer@qq.example.test',
  relay: 'relay-user',
};
const PASS = {
  custom: secret('custom-pass'),
  ali: secret('ali-pass'),
  qq: secret('qq-pass'),
  sendgrid: `SG.${secret('sendgrid-key')}`,
  relay: secret('relay-pass'),
  wrong: secret('wrong-pass'),
  wrongSendgrid: `SG.${secret('wrong-sendgrid-key')}`,
};

type ProviderType = 'custom' | 'ali' | 'qq' | 'sendgrid';

/** Every way a secret could be spelled on its way out: as is, URL-encoded, and as SMTP AUTH sends it. */
function spellings(value: string, login?: string): string[] {
  const out = [value, encodeURIComponent(value), Buffer.from(value).toString('base64')];
  if (login !== undefined) {
    out.push(Buffer.from(`\0${login}\0${value}`).toString('base64'));
  }
  return out;
}

/**
 * No secret ever leaves: after configuring every provider type, sending through each (and
 * failing through each with a wrong secret), no provider secret, API key secret, root key or
 * relay password shows in any HTTP answer, any log line, any stored error, or any column.
 */
describe('reliability: secrets never leave', () => {
  let t: TestApp;
  let custom: SmtpTestServer;
  let ali: SmtpTestServer;
  let qq: SmtpTestServer;
  let relay: SmtpTestServer;
  let sendgrid: SendGridTestServer;
  /** Every HTTP answer the test saw, except key creations (which show their own secret once). */
  const answers: string[] = [];
  const keyCreations: string[] = [];
  const apiKeys: TestKey[] = [];

  beforeAll(async () => {
    [custom, ali, qq, relay, sendgrid] = await Promise.all([
      startSmtpTestServer({ tls: 'starttls', auth: { user: LOGIN.custom, pass: PASS.custom } }),
      startSmtpTestServer({ tls: 'implicit', auth: { user: LOGIN.ali, pass: PASS.ali } }),
      startSmtpTestServer({ tls: 'implicit', auth: { user: LOGIN.qq, pass: PASS.qq } }),
      startSmtpTestServer({ tls: 'none', auth: { user: LOGIN.relay, pass: PASS.relay } }),
      startSendGridTestServer({ apiKey: PASS.sendgrid }),
    ]);
    t = await startTestApp({
      env: {
        SENDGRID_API_URL: sendgrid.url,
        BUILTIN_MAILER_URL: `smtp://${LOGIN.relay}:${PASS.relay}@127.0.0.1:${relay.port}`,
        BUILTIN_MAIL_FROM: 'gateway@example.test',
        DISPATCH_RETRY_BASE_MS: '50',
        DISPATCH_MAX_ATTEMPTS: '2',
      },
      overrides: {
        transports: {
          // One test CA signed every server's certificate; verification stays on.
          smtp: { tls: { ca: custom.ca } },
          smtpPresets: {
            ali: { host: '127.0.0.1', port: ali.port, secure: true },
            qq: { host: '127.0.0.1', port: qq.port, secure: true },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([custom, ali, qq, relay, sendgrid].map((s) => s?.close()));
  });

  async function call(
    method: string,
    path: string,
    options: Parameters<typeof http>[3],
  ): Promise<Answer> {
    const res = await http(t.baseUrl, method, path, options);
    answers.push(
      `${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${res.text}`,
    );
    return res;
  }

  async function newKey(): Promise<TestKey> {
    const res = await http(t.baseUrl, 'POST', '/v1/api-keys', {
      headers: rootHeaders(newTenantId()),
      body: { scopes: ['email:send', 'email:read', 'provider:write', 'provider:read'] },
    });
    expect(res.status).toBe(201);
    keyCreations.push(res.text);
    apiKeys.push(res.body.data as TestKey);
    return res.body.data as TestKey;
  }

  function configBody(type: ProviderType, pass: string): Record<string, unknown> {
    switch (type) {
      case 'custom':
        return {
          type,
          enabled: true,
          smtpConfig: {
            smtp_host: '127.0.0.1',
            smtp_port: custom.port,
            sender: LOGIN.custom,
            senderPass: pass,
            secure: false,
          },
        };
      case 'ali':
        return { type, enabled: true, aliExmailConfig: { sender: LOGIN.ali, senderPass: pass } };
      case 'qq':
        return { type, enabled: true, tencentExmailConfig: { sender: LOGIN.qq, senderPass: pass } };
      case 'sendgrid':
        return {
          type,
          enabled: true,
          sendGridConfig: { sender: 'noreply@example.test', apikey: pass },
        };
    }
  }

  async function sendAndWait(key: TestKey): Promise<{ status: string; lastError: unknown }> {
    const accepted = await call('POST', '/v1/emails', {
      token: key.token,
      body: anEmail(),
      headers: { prefer: 'wait=15' },
    });
    expect([200, 202]).toContain(accepted.status);
    const id = accepted.body.data.id as string;
    return waitFor(
      async () => {
        const res = await call('GET', `/v1/emails/${id}`, { token: key.token });
        const data = res.body.data as { status: string; lastError: unknown };
        return data.status === 'sent' || data.status === 'failed' ? data : undefined;
      },
      { timeoutMs: 20_000, what: `email ${id} final` },
    );
  }

  it.each(['custom', 'ali', 'qq', 'sendgrid'] as const)(
    '%s: configure, read, verify, test-send and send; then the same with a wrong secret',
    async (type) => {
      const key = await newKey();
      const right = type === 'sendgrid' ? PASS.sendgrid : PASS[type];
      const wrong = type === 'sendgrid' ? PASS.wrongSendgrid : PASS.wrong;

      const saved = await call('POST', '/api/v3/config-email-provider', {
        token: key.token,
        body: configBody(type, right),
      });
      expect(saved.body.statusCode).toBe(200);
      await call('GET', '/api/v3/get-email-provider', { token: key.token });
      const verified = await call('POST', '/api/v3/verify-email-provider', { token: key.token });
      expect(verified.body.data).toMatchObject({ ok: true });
      const tested = await call('POST', '/api/v3/send-test-email', {
        token: key.token,
        body: { email: 'ada@example.test' },
      });
      expect(tested.body.data).toMatchObject({ ok: true });
      await expect(sendAndWait(key)).resolves.toMatchObject({ status: 'sent' });

      // Wrong secret: unsaved verify, then saved, then a send that fails on it.
      const badVerify = await call('POST', '/api/v3/verify-email-provider', {
        token: key.token,
        body: configBody(type, wrong),
      });
      expect(badVerify.body.data).toMatchObject({ ok: false, error: { class: 'auth' } });
      const resaved = await call('POST', '/api/v3/config-email-provider', {
        token: key.token,
        body: configBody(type, wrong),
      });
      expect(resaved.body.statusCode).toBe(200);
      // Read-your-writes: the next message goes through the new, wrong secret. Its auth failure
      // opens the tenant's circuit (README, "Circuit breaker"), so the message stays queued with
      // the error recorded rather than ending failed.
      const accepted = await call('POST', '/v1/emails', { token: key.token, body: anEmail() });
      expect(accepted.status).toBe(202);
      const id = accepted.body.data.id as string;
      const refused = await waitFor(
        async () => {
          const res = await call('GET', `/v1/emails/${id}`, { token: key.token });
          const data = res.body.data as { status: string; lastError: { class?: string } | null };
          return data.lastError?.class === 'auth' ? data : undefined;
        },
        { timeoutMs: 20_000, what: 'a send with the wrong secret to fail on auth' },
      );
      expect(refused).toMatchObject({ lastError: { class: 'auth' } });
      expect(['queued', 'failed']).toContain(refused.status);
      const health = await call('GET', '/api/v3/get-email-provider', { token: key.token });
      expect(health.body.data.health).toMatchObject({ state: 'open' });
      await call('GET', '/api/v3/email-provider-history', { token: key.token });
      await call('GET', '/v1/emails', { token: key.token });
    },
  );

  it('the built-in mailer (provider disabled) sends with its relay password', async () => {
    const key = await newKey();
    await call('POST', '/api/v3/config-email-provider', {
      token: key.token,
      body: { ...configBody('custom', PASS.custom), enabled: false },
    });
    await expect(sendAndWait(key)).resolves.toMatchObject({ status: 'sent' });
    expect(relay.messages.length).toBeGreaterThan(0);
  });

  it('a secret another tenant sealed fails the send with no transport: null, not a string', async () => {
    const [owner, thief] = [await newKey(), await newKey()];
    for (const key of [owner, thief]) {
      await call('POST', '/api/v3/config-email-provider', {
        token: key.token,
        body: configBody('custom', PASS.custom),
      });
    }
    // The owner's ciphertext in the thief's row does not decrypt there: it is bound to the owner.
    await query(
      t.db.url,
      `UPDATE email_provider_configs
          SET config = (SELECT config FROM email_provider_configs WHERE updated_by = $1)
        WHERE updated_by = $2`,
      [owner.id, thief.id],
    );
    const accepted = await call('POST', '/v1/emails', { token: thief.token, body: anEmail() });
    expect(accepted.status).toBe(202);
    const id = accepted.body.data.id as string;
    const failed = await waitFor(
      async () => {
        const res = await call('GET', `/v1/emails/${id}`, { token: thief.token });
        return res.body.data.status === 'failed' ? res.body.data : undefined;
      },
      { timeoutMs: 20_000, what: `email ${id} failed on its unreadable secret` },
    );
    expect(failed).toMatchObject({
      transport: null,
      lastError: { class: 'config' },
      attempts: [{ attempt: 1, transport: null, outcome: 'failed', errorClass: 'config' }],
    });
    const stored = await query<{ transport: string | null }>(
      t.db.url,
      `SELECT transport FROM email_attempts WHERE message_id = $1
       UNION ALL SELECT transport FROM email_messages WHERE id = $1`,
      [id],
    );
    expect(stored).toEqual([{ transport: null }, { transport: null }]);
  });

  it('finds no secret in any answer, log line or column', async () => {
    // Each provider really received mail (the secrets were used, not just stored).
    expect(custom.messages.length).toBeGreaterThanOrEqual(2);
    expect(ali.messages.length).toBeGreaterThanOrEqual(2);
    expect(qq.messages.length).toBeGreaterThanOrEqual(2);
    expect(sendgrid.messages.length).toBeGreaterThanOrEqual(2);

    const tables = await query<{ name: string }>(
      t.db.url,
      `SELECT quote_ident(table_name) AS name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.map((r) => r.name)).toEqual(
      expect.arrayContaining(['api_keys', 'email_provider_configs', 'email_messages']),
    );
    const columns: string[] = [];
    for (const { name } of tables) {
      const rows = await query<{ row: string }>(
        t.db.url,
        `SELECT to_jsonb(x)::text AS row FROM ${name} x`,
      );
      columns.push(...rows.map((r) => `${name}: ${r.row}`));
    }
    const places = {
      answers: answers.join('\n'),
      logs: t.logs.join('\n'),
      database: columns.join('\n'),
    };
    expect(answers.length).toBeGreaterThan(40);
    expect(t.logs.length).toBeGreaterThan(100);

    const needles: Array<[string, string]> = [
      ...spellings(PASS.custom, LOGIN.custom).map((s): [string, string] => ['custom password', s]),
      ...spellings(PASS.ali, LOGIN.ali).map((s): [string, string] => ['ali password', s]),
      ...spellings(PASS.qq, LOGIN.qq).map((s): [string, string] => ['qq password', s]),
      ...spellings(PASS.wrong).map((s): [string, string] => ['wrong password', s]),
      ...spellings(PASS.sendgrid).map((s): [string, string] => ['sendgrid key', s]),
      ...spellings(PASS.wrongSendgrid).map((s): [string, string] => ['wrong sendgrid key', s]),
      ...spellings(PASS.relay, LOGIN.relay).map((s): [string, string] => ['relay password', s]),
      ['root key secret', TEST_ROOT_KEY.split('.')[1]],
      ['MAILGATE_SECRET_KEY', TEST_SECRET_KEY],
      ...apiKeys.map((k): [string, string] => ['API key secret', k.secret]),
    ];
    const leaksIn = (haystacks: Record<string, string>): string[] =>
      needles.flatMap(([what, needle]) =>
        Object.entries(haystacks)
          .filter(([, haystack]) => haystack.includes(needle))
          .map(([where]) => `${what} in ${where}`),
      );
    // The scan can find what it looks for (AUTH PLAIN's base64 included)...
    const plain = Buffer.from(`\0${LOGIN.ali}\0${PASS.ali}`).toString('base64');
    expect(leaksIn({ control: `AUTH PLAIN ${plain}` })).toEqual(['ali password in control']);
    expect(sendgrid.messages[0].headers.authorization).toBe(`Bearer ${PASS.sendgrid}`);
    // ...and finds nothing.
    expect(leaksIn(places)).toEqual([]);
    // Key creation answers show only their own key's secret, once.
    for (const [i, text] of keyCreations.entries()) {
      const others = apiKeys.filter((_, j) => j !== i).map((k) => k.secret);
      expect(others.filter((s) => text.includes(s))).toEqual([]);
      expect(text).toContain(apiKeys[i].secret);
    }
  });
});
