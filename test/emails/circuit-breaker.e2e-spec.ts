import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { startSwitchableSmtp, type SwitchableSmtp } from '../support/switchable-smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { parseExposition } from '../operability/prometheus-text';

interface Health {
  state: 'closed' | 'open' | 'half_open';
  since: string;
  consecutiveFailures: number;
  lastError: { class: string; code: string; status?: number; message: string } | null;
  reason: 'failures' | 'auth' | null;
  retryAt: string | null;
}

/**
 * Short cool-downs so the spec sees open → half open → open (doubled) → closed in seconds, long
 * enough that a loaded machine still observes each state before the next.
 */
const COOLDOWN_MS = 3_000;
const BREAKER_ENV = {
  DISPATCH_RETRY_BASE_MS: '50',
  DISPATCH_CONCURRENCY: '4',
  // One send of the tenant at a time per replica: failures arrive one by one, in order.
  DISPATCH_TENANT_CONCURRENCY: '1',
  DISPATCH_CIRCUIT_FAILURES: '5',
  DISPATCH_CIRCUIT_COOLDOWN_MS: String(COOLDOWN_MS),
};

async function health(t: TestApp, key: TestKey): Promise<Health> {
  const res = await http(t.baseUrl, 'GET', '/api/v3/get-email-provider', { token: key.token });
  expect(res.body.statusCode).toBe(200);
  return res.body.data.health as Health;
}

async function send(t: TestApp, key: TestKey, count: number): Promise<string[]> {
  const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
    token: key.token,
    body: { messages: Array.from({ length: count }, (_, i) => anEmail({ subject: `m${i}` })) },
  });
  expect(res.status).toBe(202);
  return res.body.data.results.map((r: { id: string }) => r.id);
}

async function counts(db: TestDatabase, tenantId: string): Promise<Record<string, number>> {
  const rows = await query<{ status: string; n: number; attempts: number }>(
    db.url,
    `SELECT status, count(*)::int AS n FROM email_messages WHERE tenant_id = $1 GROUP BY status`,
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function attemptsSpent(db: TestDatabase, tenantId: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    db.url,
    `SELECT coalesce(sum(attempts), 0)::int AS n FROM email_messages WHERE tenant_id = $1`,
    [tenantId],
  );
  return row.n;
}

/**
 * Connections after the first `n` (the failures that opened the circuit) made before `until`. By
 * index, not by the open's timestamp: the failure that opens it is recorded within a millisecond
 * of its own connection, closer than the two clocks' rounding.
 */
function connectionsAfter(smtp: SwitchableSmtp, n: number, until: number): number {
  return smtp.connectedAt.slice(n).filter((at) => at < until).length;
}

/** Connections the server saw in [from, to) (milliseconds since the epoch). */
function connectionsBetween(smtp: SwitchableSmtp, from: number, to: number): number {
  return smtp.connectedAt.filter((at) => at >= from && at < to).length;
}

describe('circuit breaker per tenant provider', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close({ keepDatabase: true })));
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await db.drop();
  });

  it('opens after 5 failures, makes no connection while cooling down, probes once, closes and drains', async () => {
    const smtp = await startSwitchableSmtp('down');
    servers.push(smtp);
    const t = await startTestApp({ db, env: BREAKER_ENV });
    apps.push(t);
    const tenantId = newTenantId();
    const key = await createKey(t, tenantId);
    await configureSmtp(t, key.token, { port: smtp.port, user: 'u@example.test', pass: 'p' });
    const ids = await send(t, key, 20);

    const opened = await waitFor(
      async () => {
        const h = await health(t, key);
        return h.state === 'open' ? h : undefined;
      },
      { timeoutMs: 15_000, what: 'the circuit open' },
    );
    expect(opened).toMatchObject({ reason: 'failures', consecutiveFailures: 5 });
    expect(['transient', 'rate_limited']).toContain(opened.lastError?.class);
    const since = Date.parse(opened.since);
    const retryAt = Date.parse(opened.retryAt ?? '');
    expect(retryAt - since).toBeGreaterThanOrEqual(COOLDOWN_MS - 100);
    // Five attempts, five connections; the 15 others were never tried and kept their attempts.
    expect(smtp.connectedAt).toHaveLength(5);
    expect(await attemptsSpent(db, tenantId)).toBe(5);

    // Metrics: circuits by state and provider type, never a tenant id.
    const metrics = await http(t.baseUrl, 'GET', '/metrics');
    const circuits = parseExposition(metrics.text).samples.filter(
      (s) => s.name === 'mailgate_provider_circuits',
    );
    expect(circuits).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { provider_type: 'custom', state: 'open' }, value: 1 }),
      ]),
    );
    expect(metrics.text).not.toContain(tenantId);

    // The provider stays down: after the cool-down exactly one probe goes, fails, and re-opens
    // the circuit for twice as long; nothing connected in between.
    const reopened = await waitFor(
      async () => {
        const h = await health(t, key);
        return h.state === 'open' && Date.parse(h.since) > since ? h : undefined;
      },
      { timeoutMs: 10_000, what: 'the failed probe re-opening the circuit' },
    );
    expect(smtp.connectedAt).toHaveLength(6);
    expect(connectionsAfter(smtp, 5, retryAt)).toBe(0);
    expect(smtp.connectedAt[5]).toBeGreaterThanOrEqual(retryAt);
    const since2 = Date.parse(reopened.since);
    const retryAt2 = Date.parse(reopened.retryAt ?? '');
    expect(retryAt2 - since2).toBeGreaterThanOrEqual(2 * COOLDOWN_MS - 100);
    expect(reopened.consecutiveFailures).toBe(6);
    expect(await attemptsSpent(db, tenantId)).toBe(6);

    // The provider is back: one probe (alone on the server when it lands), then the backlog.
    smtp.mode = 'up';
    await waitFor(async () => (await counts(db, tenantId)).sent === 20, {
      timeoutMs: 20_000,
      what: 'the backlog delivered',
    });
    expect(connectionsAfter(smtp, 6, retryAt2)).toBe(0);
    expect(smtp.messages[0].connections).toBe(7);
    expect(new Set(smtp.messages.map((m) => m.messageId))).toEqual(
      new Set(ids.map((id) => `<${id}@example.test>`)),
    );
    await expect(health(t, key)).resolves.toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      reason: null,
      retryAt: null,
    });
    // No message paid for the outage beyond the attempts actually made.
    const [worst] = await query<{ max: number }>(
      db.url,
      'SELECT max(attempts)::int AS max FROM email_messages WHERE tenant_id = $1',
      [tenantId],
    );
    expect(worst.max).toBeLessThanOrEqual(3);
  }, 60_000);

  it('messages already claimed and waiting for a connection when it opens do not connect', async () => {
    const smtp = await startSwitchableSmtp('down');
    servers.push(smtp);
    // One connection, up to three sends claimed behind it (admitted while the circuit counted).
    const t = await startTestApp({
      db,
      env: { ...BREAKER_ENV, DISPATCH_CONCURRENCY: '8', DISPATCH_TENANT_CONCURRENCY: '8' },
    });
    apps.push(t);
    const tenantId = newTenantId();
    const key = await createKey(t, tenantId);
    await configureSmtp(
      t,
      key.token,
      { port: smtp.port, user: 'u@example.test', pass: 'p' },
      { concurrency: { maxConnections: 1 } },
    );
    await send(t, key, 20);
    const opened = await waitFor(
      async () => {
        const h = await health(t, key);
        return h.state === 'open' ? h : undefined;
      },
      { timeoutMs: 15_000, what: 'the circuit open' },
    );
    const retryAt = Date.parse(opened.retryAt ?? '');
    await waitFor(
      async () => {
        const h = await health(t, key);
        return h.state === 'open' && h.since !== opened.since ? h : undefined;
      },
      { timeoutMs: 15_000, what: 'the failed probe re-opening the circuit' },
    );
    expect(connectionsAfter(smtp, 5, retryAt)).toBe(0);
    expect(smtp.connectedAt).toHaveLength(6);
    // The held ones went back to the queue with their attempts: five failures and one probe.
    expect(await attemptsSpent(db, tenantId)).toBe(6);
  }, 60_000);

  it('two gateway instances share the circuit: one opens it, the other does not send either', async () => {
    const smtp = await startSwitchableSmtp('down');
    servers.push(smtp);
    // Long enough for the second instance to start (seconds on a loaded machine) while it is open.
    const env = {
      ...BREAKER_ENV,
      DISPATCH_CIRCUIT_COOLDOWN_MS: '10000',
      DISPATCH_CIRCUIT_MAX_COOLDOWN_MS: '10000',
    };
    const a = await startTestApp({ db, env });
    apps.push(a);
    const tenantId = newTenantId();
    const key = await createKey(a, tenantId);
    await configureSmtp(a, key.token, { port: smtp.port, user: 'u@example.test', pass: 'p' });
    await send(a, key, 30);
    const opened = await waitFor(
      async () => {
        const h = await health(a, key);
        return h.state === 'open' ? h : undefined;
      },
      { timeoutMs: 15_000, what: 'the circuit open (instance A)' },
    );
    const since = Date.parse(opened.since);
    const retryAt = Date.parse(opened.retryAt ?? '');

    // Instance B starts while the circuit is open, with 25 due messages of the tenant queued.
    const b = await startTestApp({ db, env });
    expect(Date.now()).toBeLessThan(retryAt);
    apps.push(b);
    await expect(health(b, key)).resolves.toMatchObject({ state: 'open', since: opened.since });
    // The cool-down ends: of both instances, exactly one sends the probe.
    const reopened = await waitFor(
      async () => {
        const h = await health(b, key);
        return h.state === 'open' && Date.parse(h.since) > since ? h : undefined;
      },
      { timeoutMs: 25_000, what: 'the failed probe re-opening the circuit' },
    );
    expect(connectionsAfter(smtp, 5, retryAt)).toBe(0);
    expect(connectionsBetween(smtp, retryAt, Date.parse(reopened.since))).toBe(1);

    smtp.mode = 'up';
    await waitFor(async () => (await counts(db, tenantId)).sent === 30, {
      timeoutMs: 40_000,
      what: 'the backlog delivered by both',
    });
    expect(
      connectionsBetween(smtp, Date.parse(reopened.since), Date.parse(reopened.retryAt ?? '')),
    ).toBe(0);
    expect(smtp.messages[0].connections).toBe(7);
    const sentBy = async (t: TestApp): Promise<number> =>
      parseExposition((await http(t.baseUrl, 'GET', '/metrics')).text)
        .samples.filter((s) => s.name === 'mailgate_emails_sent_total')
        .reduce((n, s) => n + s.value, 0);
    const [byA, byB] = await Promise.all([sentBy(a), sentBy(b)]);
    expect(byA + byB).toBe(30);
    expect(byB).toBeGreaterThan(0);
  }, 120_000);

  describe('auth failures', () => {
    let server: SmtpTestServer;
    beforeEach(async () => {
      server = await startSmtpTestServer({ tls: 'none' });
      servers.push(server);
    });

    it('open the circuit until the config changes: no cool-down, no probe', async () => {
      const t = await startTestApp({
        db,
        env: { ...BREAKER_ENV, DISPATCH_CIRCUIT_COOLDOWN_MS: '200' },
      });
      apps.push(t);
      const tenantId = newTenantId();
      const key = await createKey(t, tenantId);
      const auth = server.auth as { user: string; pass: string };
      await configureSmtp(t, key.token, { port: server.port, user: auth.user, pass: 'wrong' });
      await send(t, key, 5);
      const opened = await waitFor(
        async () => {
          const h = await health(t, key);
          return h.state === 'open' ? h : undefined;
        },
        { timeoutMs: 10_000, what: 'the circuit open after an auth failure' },
      );
      expect(opened).toMatchObject({
        reason: 'auth',
        retryAt: null,
        consecutiveFailures: 1,
        lastError: { class: 'auth' },
      });
      expect(JSON.stringify(opened)).not.toContain('wrong');
      // Many cool-downs' worth of time: still no second connection, messages queued, attempt 1 spent.
      const connections = server.connections;
      await waitFor(async () => Date.now() - Date.parse(opened.since) > 2_000, {
        timeoutMs: 5_000,
      });
      expect(server.connections).toBe(connections);
      expect(await counts(db, tenantId)).toEqual({ queued: 5 });
      expect(await attemptsSpent(db, tenantId)).toBe(1);
      // A failed verify changes nothing; the right password (a new config version) closes it.
      const verify = await http(t.baseUrl, 'POST', '/api/v3/verify-email-provider', {
        token: key.token,
        body: {},
      });
      expect(verify.body.data).toMatchObject({ ok: false, error: { class: 'auth' } });
      await expect(health(t, key)).resolves.toMatchObject({ state: 'open', reason: 'auth' });
      await configureSmtp(t, key.token, { port: server.port, user: auth.user, pass: auth.pass });
      await expect(health(t, key)).resolves.toMatchObject({
        state: 'closed',
        consecutiveFailures: 0,
      });
      await waitFor(async () => (await counts(db, tenantId)).sent === 5, {
        timeoutMs: 15_000,
        what: 'the held messages sent',
      });
      expect(server.messages).toHaveLength(5);
    }, 60_000);

    it('a verify that succeeds closes it', async () => {
      const t = await startTestApp({ db, env: BREAKER_ENV });
      apps.push(t);
      const tenantId = newTenantId();
      const key = await createKey(t, tenantId);
      const auth = server.auth as { user: string; pass: string };
      await configureSmtp(t, key.token, { port: server.port, user: auth.user, pass: auth.pass });
      // The provider refuses the login once (a password being rotated, say).
      server.reply('AUTH', { code: 535, message: '5.7.8 Authentication failed', times: 1 });
      await send(t, key, 3);
      await waitFor(async () => (await health(t, key)).state === 'open', {
        timeoutMs: 10_000,
        what: 'the circuit open after an auth failure',
      });
      expect(await counts(db, tenantId)).toEqual({ queued: 3 });
      const verify = await http(t.baseUrl, 'POST', '/api/v3/verify-email-provider', {
        token: key.token,
        body: {},
      });
      expect(verify.body.data).toEqual({ ok: true });
      await expect(health(t, key)).resolves.toMatchObject({ state: 'closed' });
      await waitFor(async () => (await counts(db, tenantId)).sent === 3, {
        timeoutMs: 15_000,
        what: 'the held messages sent',
      });
    }, 60_000);

    it('with fallbackOnFailure, messages go through the built-in mailer while it is open', async () => {
      const t = await startTestApp({ db, env: BREAKER_ENV });
      apps.push(t);
      const tenantId = newTenantId();
      const key = await createKey(t, tenantId);
      const auth = server.auth as { user: string; pass: string };
      await configureSmtp(
        t,
        key.token,
        { port: server.port, user: auth.user, pass: 'wrong' },
        { fallbackOnFailure: true },
      );
      await send(t, key, 6);
      await waitFor(async () => (await counts(db, tenantId)).sent === 6, {
        timeoutMs: 15_000,
        what: 'all sent by the built-in mailer',
      });
      // One try of the provider opened the circuit; the rest never connected to it.
      expect(server.connections).toBe(1);
      const rows = await query<{ transport: string; fallback_reason: unknown }>(
        db.url,
        'SELECT transport, fallback_reason FROM email_messages WHERE tenant_id = $1',
        [tenantId],
      );
      expect(new Set(rows.map((r) => r.transport))).toEqual(new Set(['builtin']));
      // Stored as data; the API renders it (`fallbackReason`).
      expect(rows.map((r) => r.fallback_reason)).toEqual(
        expect.arrayContaining([{ kind: 'provider_auth_failed', detail: 'circuit open' }]),
      );
      await expect(health(t, key)).resolves.toMatchObject({ state: 'open', reason: 'auth' });
    }, 60_000);
  });
});
