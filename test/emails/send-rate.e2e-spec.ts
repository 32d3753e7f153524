import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId } from '../factories/emails';

/** An SMTP sink on loopback that records when each message arrived (server-side clock). */
interface TimedSink {
  port: number;
  readonly arrivals: Array<{ messageId: string; at: number }>;
  close(): Promise<void>;
}

async function startTimedSink(): Promise<TimedSink> {
  const arrivals: TimedSink['arrivals'] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(credentials, _session, callback) {
      callback(null, { user: credentials.username });
    },
    logger: false,
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          arrivals.push({ messageId: parsed.messageId ?? '', at: Date.now() });
          callback(null);
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    arrivals,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function statusCounts(url: string, tenantId: string): Promise<Record<string, number>> {
  const rows = await query<{ status: string; n: number }>(
    url,
    'SELECT status, count(*)::int AS n FROM email_messages WHERE tenant_id = $1 GROUP BY status',
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

async function accept(t: TestApp, token: string, count: number): Promise<string[]> {
  const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
    token,
    body: { messages: Array.from({ length: count }, (_, i) => anEmail({ subject: `r${i}` })) },
  });
  expect(res.status).toBe(202);
  return res.body.data.results.map((r: { id: string }) => r.id);
}

/**
 * The per-tenant send rate (`rateLimit`, issue 14): enforced across replicas through PostgreSQL;
 * messages over it stay queued with a `deferred` attempt (reason `rate_limit`), never fail and
 * never spend an attempt; a tenant without a limit never touches the gate.
 */
describe('per-tenant send rate (rateLimit)', () => {
  let db: TestDatabase;
  let sink: TimedSink;
  const apps: TestApp[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
    sink = await startTimedSink();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close({ keepDatabase: true })));
    await sink.close();
    await db.drop();
  });

  it('10/s across two instances: 100 messages all delivered, over at least 9 s, none failed, no attempt spent', async () => {
    const [a, b] = await Promise.all([startTestApp({ db }), startTestApp({ db })]);
    apps.push(a, b);
    const tenant = newTenantId();
    const key = await createKey(a, tenant);
    await configureSmtp(
      a,
      key.token,
      { port: sink.port, user: 'u@example.test', pass: 'p' },
      { rateLimit: { perSecond: 10 } },
    );
    const ids = await accept(a, key.token, 100);
    await waitFor(async () => (await statusCounts(db.url, tenant)).sent === 100, {
      timeoutMs: 60_000,
      what: '100 sent',
    });
    expect(await statusCounts(db.url, tenant)).toEqual({ sent: 100 });
    expect(new Set(sink.arrivals.map((r) => r.messageId))).toEqual(
      new Set(ids.map((id) => `<${id}@example.test>`)),
    );
    expect(sink.arrivals).toHaveLength(100);
    const times = sink.arrivals.map((r) => r.at).sort((x, y) => x - y);
    const spanMs = times[99] - times[0];
    // Evenly paced at 100 ms: 99 gaps, so about 9.9 s; the issue asks for at least 9 s.
    expect(spanMs).toBeGreaterThanOrEqual(9_000);
    // Every message was sent on its first attempt: waiting for the rate spent none.
    const attempts = await query<{ outcome: string; attempt_no: number; reason: string | null }>(
      db.url,
      `SELECT a.outcome, a.attempt_no, a.reason FROM email_attempts a
       JOIN email_messages m ON m.id = a.message_id WHERE m.tenant_id = $1`,
      [tenant],
    );
    expect(attempts.filter((x) => x.outcome === 'sent')).toHaveLength(100);
    expect(new Set(attempts.map((x) => x.attempt_no))).toEqual(new Set([1]));
    expect(attempts.filter((x) => x.outcome !== 'sent' && x.outcome !== 'deferred')).toEqual([]);
    for (const deferred of attempts.filter((x) => x.outcome === 'deferred')) {
      expect(deferred.reason).toBe('rate_limit');
    }
    const [counters] = await query<{ max: number }>(
      db.url,
      'SELECT max(attempts)::int AS max FROM email_messages WHERE tenant_id = $1',
      [tenant],
    );
    expect(counters.max).toBe(1);
    process.stdout.write(
      `send-rate: 100 messages at 10/s delivered over ${spanMs} ms, ${attempts.length - 100} deferred attempts\n`,
    );
  }, 90_000);

  it('perDay 5: five sent, the rest queued with a deferred rate_limit attempt until the next UTC day', async () => {
    const t = await startTestApp({ db });
    apps.push(t);
    const tenant = newTenantId();
    const key = await createKey(t, tenant);
    await configureSmtp(
      t,
      key.token,
      { port: sink.port, user: 'u@example.test', pass: 'p' },
      { rateLimit: { perDay: 5 } },
    );
    const ids = await accept(t, key.token, 12);
    await waitFor(
      async () => {
        const [row] = await query<{ deferred: number }>(
          db.url,
          `SELECT count(DISTINCT message_id)::int AS deferred FROM email_attempts
           WHERE tenant_id = $1 AND outcome = 'deferred'`,
          [tenant],
        );
        return row.deferred === 7 && (await statusCounts(db.url, tenant)).sent === 5;
      },
      { timeoutMs: 30_000, what: '5 sent and 7 deferred' },
    );
    expect(await statusCounts(db.url, tenant)).toEqual({ sent: 5, queued: 7 });
    expect(sink.arrivals).toHaveLength(5);
    const waiting = await query<{
      id: string;
      attempts: number;
      next_day: boolean;
    }>(
      db.url,
      `SELECT id, attempts,
              ((next_attempt_at AT TIME ZONE 'UTC')::date
                 = (SELECT (max(sent_at) AT TIME ZONE 'UTC')::date + 1 FROM email_messages
                    WHERE tenant_id = $1)) AS next_day
       FROM email_messages WHERE tenant_id = $1 AND status = 'queued'`,
      [tenant],
    );
    expect(waiting).toHaveLength(7);
    for (const message of waiting) {
      expect(ids).toContain(message.id);
      // Due in the next UTC day (the window), and no attempt spent waiting for it.
      expect(message).toMatchObject({ attempts: 0, next_day: true });
    }
    const res = await http(t.baseUrl, 'GET', `/v1/emails/${waiting[0].id}`, { token: key.token });
    expect(res.body.data).toMatchObject({ status: 'queued', attemptCount: 0 });
    expect(res.body.data.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'deferred',
        reason: 'rate_limit',
        errorClass: null,
      }),
    ]);
  }, 60_000);

  it('a tenant without rateLimit is unaffected: no gate state, nothing deferred', async () => {
    const t = await startTestApp({ db });
    apps.push(t);
    const tenant = newTenantId();
    const key = await createKey(t, tenant);
    await configureSmtp(t, key.token, { port: sink.port, user: 'u@example.test', pass: 'p' });
    const read = await http(t.baseUrl, 'GET', '/api/v3/get-email-provider', { token: key.token });
    expect(read.body.data.rateLimit).toBeNull();
    await accept(t, key.token, 30);
    await waitFor(async () => (await statusCounts(db.url, tenant)).sent === 30, {
      timeoutMs: 30_000,
      what: '30 sent',
    });
    expect(await query(db.url, 'SELECT * FROM tenant_send_rates')).toEqual([]);
    expect(await query(db.url, `SELECT * FROM email_attempts WHERE outcome = 'deferred'`)).toEqual(
      [],
    );
  }, 60_000);
});
