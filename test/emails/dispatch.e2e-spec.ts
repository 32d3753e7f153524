import { query } from '../support/database';
import { startSendGridTestServer, type SendGridTestServer } from '../support/sendgrid';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';

interface EmailData {
  id: string;
  status: string;
  recipients: Array<{ email: string; state: string }>;
  transport: string | null;
  fallbackReason: string | null;
  providerMessageId: string | null;
  attemptCount: number;
  lastError: { class: string; code: string } | null;
  attempts: Array<{
    attempt: number;
    transport: string;
    outcome: string;
    errorClass: string | null;
    startedAt: string;
    finishedAt: string;
  }>;
}

describe('dispatcher: real SMTP and SendGrid-contract servers on loopback', () => {
  let t: TestApp;
  let provider: SmtpTestServer;
  let relay: SmtpTestServer;
  let sendgrid: SendGridTestServer;

  beforeAll(async () => {
    [provider, relay, sendgrid] = await Promise.all([
      startSmtpTestServer({
        tls: 'none',
        auth: { user: 'mailer@example.test', pass: 'provider-pass' },
      }),
      startSmtpTestServer({ tls: 'none', auth: { user: 'relay-user', pass: 'relay-pass' } }),
      startSendGridTestServer(),
    ]);
    t = await startTestApp({ env: dispatchEnv() });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([provider.close(), relay.close(), sendgrid.close()]);
  });
  beforeEach(() => {
    provider.reset();
    relay.reset();
    sendgrid.reset();
  });

  function dispatchEnv(): Record<string, string> {
    return {
      BUILTIN_MAILER_URL: `smtp://relay-user:relay-pass@127.0.0.1:${relay.port}`,
      BUILTIN_MAIL_FROM: 'gateway@builtin.test',
      SENDGRID_API_URL: sendgrid.url,
      DISPATCH_RETRY_BASE_MS: '100',
      DISPATCH_MAX_ATTEMPTS: '4',
      DISPATCH_CONCURRENCY: '8',
    };
  }

  /** The config-email-provider body that points the tenant at `target`. */
  function configFor(
    target: 'smtpA' | 'sendgrid' | 'smtpB' | 'builtin',
    secondPort: number,
  ): Record<string, unknown> {
    const smtp = (port: number, user: string, pass: string) => ({
      type: 'custom',
      enabled: true,
      smtpConfig: {
        smtp_host: '127.0.0.1',
        smtp_port: port,
        sender: user,
        senderPass: pass,
        secure: false,
      },
    });
    switch (target) {
      case 'smtpA':
        return smtp(provider.port, 'mailer@example.test', 'provider-pass');
      case 'smtpB':
        return smtp(secondPort, 'other@example.test', 'other-pass');
      case 'sendgrid':
        return {
          type: 'sendgrid',
          enabled: true,
          sendGridConfig: { sender: 'noreply@sg.example.test', apikey: sendgrid.apiKey },
        };
      case 'builtin':
        return { ...smtp(provider.port, 'mailer@example.test', 'provider-pass'), enabled: false };
    }
  }

  async function tenantWithKey(): Promise<TestKey> {
    return createKey(t, newTenantId());
  }

  async function accept(key: TestKey, body = anEmail()): Promise<string> {
    const res = await http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body });
    expect(res.status).toBe(202);
    return res.body.data.id as string;
  }

  async function final(key: TestKey, id: string, timeoutMs = 15_000): Promise<EmailData> {
    return waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        const data = res.body.data as EmailData;
        return data.status === 'queued' || data.status === 'sending' ? undefined : data;
      },
      { timeoutMs, what: `email ${id} to be final` },
    );
  }

  it('sends through the tenant custom SMTP provider with a stable Message-ID', async () => {
    const key = await tenantWithKey();
    await configureSmtp(t, key.token, {
      port: provider.port,
      user: 'mailer@example.test',
      pass: 'provider-pass',
    });
    const id = await accept(key, anEmail({ bcc: 'hidden@example.test' }));
    const [received] = await provider.waitForMessages(1);
    const data = await final(key, id);
    expect(data).toMatchObject({
      status: 'sent',
      transport: 'provider:custom',
      fallbackReason: null,
      attemptCount: 1,
    });
    expect(data.providerMessageId).toEqual(expect.any(String));
    expect(received.parsed.messageId).toBe(`<${id}@example.test>`);
    expect(received.rcptTo).toEqual(['ada@example.test', 'hidden@example.test']);
    expect(received.parsed.subject).toBe('Your sign-in code');
    expect(received.user).toBe('mailer@example.test');
    expect(relay.messages).toHaveLength(0);
  });

  it('answers Prefer: wait=N with 200 and the final status', async () => {
    const key = await tenantWithKey();
    await configureSmtp(t, key.token, {
      port: provider.port,
      user: 'mailer@example.test',
      pass: 'provider-pass',
    });
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: anEmail(),
      headers: { prefer: 'wait=10' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=10');
    expect(res.body.data).toMatchObject({ status: 'sent', transport: 'provider:custom' });
  });

  it('retries 451 with backoff and sends on attempt 3, always with one Message-ID', async () => {
    const key = await tenantWithKey();
    await configureSmtp(t, key.token, {
      port: provider.port,
      user: 'mailer@example.test',
      pass: 'provider-pass',
    });
    provider.reply('DATA', { code: 451, message: '4.7.1 Try again later', times: 2 });
    const id = await accept(key);
    const data = await final(key, id);
    expect(data.status).toBe('sent');
    expect(data.attempts.map((a) => [a.attempt, a.outcome, a.errorClass])).toEqual([
      [1, 'retry', 'rate_limited'],
      [2, 'retry', 'rate_limited'],
      [3, 'sent', null],
    ]);
    expect(provider.messages).toHaveLength(1);
    expect(provider.messages[0].parsed.messageId).toBe(`<${id}@example.test>`);
  });

  it('bounces a 550 at once, with no further attempt, and keeps sending other mail', async () => {
    const key = await tenantWithKey();
    await configureSmtp(t, key.token, {
      port: provider.port,
      user: 'mailer@example.test',
      pass: 'provider-pass',
    });
    provider.reply('RCPT', {
      code: 550,
      message: '5.1.1 No such user',
      recipient: 'ghost@example.test',
    });
    const poison = await accept(key, anEmail({ to: 'ghost@example.test' }));
    const good = await accept(key);
    const data = await final(key, poison);
    expect(data).toMatchObject({
      status: 'bounced',
      attemptCount: 1,
      attempts: [{ outcome: 'failed' }],
      recipients: [
        { email: 'ghost@example.test', state: 'bounced', bounceType: 'hard', code: '550' },
      ],
    });
    expect((await final(key, good)).status).toBe('sent');
    const attempts = await query(
      t.db.url,
      'SELECT count(*)::int AS n FROM email_attempts WHERE message_id = $1',
      [poison],
    );
    expect(attempts[0].n).toBe(1);
  });

  it('gives up after DISPATCH_MAX_ATTEMPTS transient failures', async () => {
    const key = await tenantWithKey();
    await configureSmtp(t, key.token, {
      port: provider.port,
      user: 'mailer@example.test',
      pass: 'provider-pass',
    });
    provider.reply('DATA', { code: 452, message: '4.3.1 Insufficient system storage', times: 10 });
    const id = await accept(key);
    const data = await final(key, id);
    expect(data.status).toBe('failed');
    expect(data.attempts.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'failed']);
  });

  it('routes to the built-in mailer when the provider is disabled, and records why', async () => {
    const key = await tenantWithKey();
    await configureSmtp(
      t,
      key.token,
      { port: provider.port, user: 'mailer@example.test', pass: 'provider-pass' },
      { enabled: false },
    );
    const id = await accept(key);
    const [received] = await relay.waitForMessages(1);
    const data = await final(key, id);
    expect(data).toMatchObject({
      status: 'sent',
      transport: 'builtin',
      fallbackReason: 'provider disabled',
    });
    expect(received.user).toBe('relay-user');
    expect(received.parsed.from?.value[0].address).toBe('gateway@builtin.test');
    expect(provider.messages).toHaveLength(0);
  });

  it('routes to the built-in mailer when no provider is configured', async () => {
    const key = await tenantWithKey();
    const id = await accept(key);
    await relay.waitForMessages(1);
    expect(await final(key, id)).toMatchObject({
      status: 'sent',
      transport: 'builtin',
      fallbackReason: 'no provider configured',
    });
  });

  it('with fallbackOnFailure, falls back to the built-in mailer after an auth error', async () => {
    const key = await tenantWithKey();
    await configureSmtp(
      t,
      key.token,
      { port: provider.port, user: 'mailer@example.test', pass: 'wrong-pass' },
      { fallbackOnFailure: true },
    );
    const id = await accept(key);
    const data = await final(key, id);
    expect(data).toMatchObject({ status: 'sent', transport: 'builtin' });
    expect(data.fallbackReason).toMatch(/authentication failed/);
    expect(data.attempts.map((a) => [a.transport, a.outcome, a.errorClass])).toEqual([
      ['provider:custom', 'retry', 'auth'],
      ['builtin', 'sent', null],
    ]);
    expect(relay.messages).toHaveLength(1);
  });

  it('retries a SendGrid 429 no sooner than its Retry-After, with one Message-ID', async () => {
    const key = await tenantWithKey();
    const res = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', {
      token: key.token,
      body: {
        type: 'sendgrid',
        enabled: true,
        sendGridConfig: { sender: 'noreply@sg.example.test', apikey: sendgrid.apiKey },
      },
    });
    expect(res.body.statusCode).toBe(200);
    sendgrid.respond({ status: 429, headers: { 'retry-after': '1' } });
    const id = await accept(key);
    const data = await final(key, id);
    expect(data).toMatchObject({ status: 'sent', transport: 'provider:sendgrid' });
    expect(data.attempts).toHaveLength(2);
    expect(data.attempts[0].errorClass).toBe('rate_limited');
    const gap = Date.parse(data.attempts[1].startedAt) - Date.parse(data.attempts[0].finishedAt);
    expect(gap).toBeGreaterThanOrEqual(900);
    const sends = sendgrid.requests.filter((r) => r.path === '/v3/mail/send');
    expect(sends).toHaveLength(2);
    const messageIds = sends.map(
      (r) => (r.body as { headers?: Record<string, string> }).headers?.['Message-ID'],
    );
    expect(new Set(messageIds).size).toBe(1);
    expect(messageIds[0]).toBe(`<${id}@sg.example.test>`);
  });

  it('read-your-writes: two instances, 100 rounds switching SMTP A, SendGrid, SMTP B and disabled, 0 wrong', async () => {
    const key = await tenantWithKey();
    const second = await startSmtpTestServer({
      tls: 'none',
      auth: { user: 'other@example.test', pass: 'other-pass' },
    });
    // A second gateway on the same database: either may claim any message.
    const replica = await startTestApp({ db: t.db, env: dispatchEnv() });
    type Target = 'smtpA' | 'sendgrid' | 'smtpB' | 'builtin';
    // Every transition of the cycle is a switch the dispatcher must notice: custom -> sendgrid,
    // sendgrid -> custom (another server and login), custom -> disabled, disabled -> custom.
    const cycle: Target[] = ['smtpA', 'sendgrid', 'smtpB', 'builtin'];
    const sent: Array<{ id: string; target: Target; version: number }> = [];
    try {
      for (let round = 0; round < 100; round++) {
        const target = cycle[round % cycle.length];
        const admin = round % 2 === 0 ? t : replica;
        const sender = round % 2 === 0 ? replica : t;
        const saved = await http(admin.baseUrl, 'POST', '/api/v3/config-email-provider', {
          token: key.token,
          body: configFor(target, second.port),
        });
        expect(saved.body.statusCode).toBe(200);
        // Sent right after the answer, through the other instance; the next switch waits for
        // its final status so "the config of its accept time" is exactly one version.
        const res = await http(sender.baseUrl, 'POST', '/v1/emails', {
          token: key.token,
          body: anEmail({ subject: `round ${round}` }),
          headers: { prefer: 'wait=15' },
        });
        expect(res.status).toBe(200);
        sent.push({ id: res.body.data.id as string, target, version: saved.body.data.version });
      }
      const arrivedAt = (id: string): Target[] => [
        ...(provider.messages.some((m) => m.parsed.messageId?.startsWith(`<${id}@`))
          ? (['smtpA'] as const)
          : []),
        ...(second.messages.some((m) => m.parsed.messageId?.startsWith(`<${id}@`))
          ? (['smtpB'] as const)
          : []),
        ...(relay.messages.some((m) => m.parsed.messageId?.startsWith(`<${id}@`))
          ? (['builtin'] as const)
          : []),
        ...(sendgrid.messages.some((m) =>
          (m.body as { headers?: Record<string, string> }).headers?.['Message-ID']?.startsWith(
            `<${id}@`,
          ),
        )
          ? (['sendgrid'] as const)
          : []),
      ];
      const wrong = sent.filter(({ id, target }) => {
        const where = arrivedAt(id);
        return where.length !== 1 || where[0] !== target;
      });
      expect(wrong).toEqual([]);
      for (const { id, version } of sent) {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        expect(res.body.data).toMatchObject({ status: 'sent', providerConfigVersion: version });
      }
    } finally {
      await replica.close();
      await second.close();
    }
  });
});
