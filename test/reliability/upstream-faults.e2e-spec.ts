import { freePort } from '../support/child-app';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { messageIdOf, outboxRows, tally, type OutboxRow } from './support/outbox';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

/**
 * The upstream relay misbehaves: down when messages are accepted, or hung past the socket
 * timeout. Every accepted message must end `sent`, or `failed` with the reason recorded — never
 * stuck in `sending`, never gone.
 */
describe('reliability: upstream SMTP faults', () => {
  const SOCKET_TIMEOUT_MS = 500;
  const MAX_ATTEMPTS_FEW = 3;
  /** Retries for a good while (12 attempts): outages end before the budget does. */
  let t: TestApp;
  /** Gives up after MAX_ATTEMPTS_FEW attempts: shows how a message ends when the relay never recovers. */
  let few: TestApp;
  const sinks: SmtpSink[] = [];

  const start = (maxAttempts: number): Promise<TestApp> =>
    startTestApp({
      env: {
        DISPATCH_RETRY_BASE_MS: '100',
        DISPATCH_MAX_ATTEMPTS: String(maxAttempts),
        // The retry policy alone is under test here; the circuit breaker that would pause these
        // tenants after 5 failures has its own spec (test/emails/circuit-breaker.e2e-spec.ts).
        DISPATCH_CIRCUIT_FAILURES: '1000',
        DISPATCH_CONCURRENCY: '8',
        DISPATCH_LEASE_MS: '5000',
      },
      overrides: {
        transports: {
          smtp: {
            socketTimeoutMs: SOCKET_TIMEOUT_MS,
            greetingTimeoutMs: SOCKET_TIMEOUT_MS,
            connectionTimeoutMs: SOCKET_TIMEOUT_MS,
            closeGraceMs: 200,
          },
        },
      },
    });

  beforeAll(async () => {
    [t, few] = await Promise.all([start(12), start(MAX_ATTEMPTS_FEW)]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), few?.close()]);
    await Promise.all(sinks.map((s) => s.close()));
  });

  async function acceptMany(
    key: TestKey,
    n: number,
    label: string,
    app: TestApp = t,
  ): Promise<string[]> {
    const res = await http(app.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: {
        messages: Array.from({ length: n }, (_, i) =>
          anEmail({ from: 'sender@example.test', subject: `${label} ${i}` }),
        ),
      },
    });
    expect(res.status).toBe(202);
    expect(res.body.data.accepted).toBe(n);
    return res.body.data.results.map((r: { id: string }) => r.id);
  }

  /** Waits until every message is sent or failed (never stuck), and returns the rows. */
  async function allFinal(
    ids: string[],
    timeoutMs: number,
    app: TestApp = t,
  ): Promise<OutboxRow[]> {
    return waitFor(
      async () => {
        const rows = await outboxRows(app.db.url, ids);
        return rows.length === ids.length &&
          rows.every((r) => r.status === 'sent' || r.status === 'failed')
          ? rows
          : undefined;
      },
      { timeoutMs, what: `${ids.length} messages to be sent or failed` },
    );
  }

  it('relay down at accept time: messages wait in the queue and all go out once it is back', async () => {
    const port = await freePort();
    const key = await createKey(t, newTenantId());
    await configureSmtp(t, key.token, { port, user: 'sender@example.test', pass: 'p' });
    const ids = await acceptMany(key, 30, 'down');

    // Nothing listens: every message is tried, fails as a connection error, and stays queued.
    const retried = await waitFor(
      async () => {
        const rows = await outboxRows(t.db.url, ids);
        return rows.every((r) => r.attempts >= 2 && r.status === 'queued') ? rows : undefined;
      },
      { timeoutMs: 15_000, what: 'every message to have failed twice and be queued again' },
    );
    for (const row of retried) {
      expect(row.last_error).toMatchObject({ class: 'transient' });
      expect(['ECONNECTION', 'ECONNREFUSED', 'ESOCKET']).toContain(row.last_error?.code);
    }

    // The relay comes back on the same port.
    const sink = await startSmtpSink({ port });
    sinks.push(sink);
    const rows = await allFinal(ids, 30_000);
    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    const received = tally(sink.messageIds);
    for (const id of ids) {
      expect(received.get(messageIdOf(id))).toBe(1);
    }
    expect(sink.messageIds).toHaveLength(ids.length);
  });

  it('relay hung past the socket timeout: each attempt is cut off, retried, and sent once it answers', async () => {
    // The first 6 DATA commands are never answered; later ones are.
    const sink = await startSmtpSink({ stall: (n) => n <= 6 });
    sinks.push(sink);
    const key = await createKey(t, newTenantId());
    await configureSmtp(t, key.token, { port: sink.port, user: 'sender@example.test', pass: 'p' });
    const ids = await acceptMany(key, 6, 'hung-then-ok');

    const rows = await allFinal(ids, 30_000);
    expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'sent'));
    expect(sink.stalled).toHaveLength(6);
    // Bounded: the gateway hung up on every stalled reply within about the socket timeout.
    for (const stall of sink.stalled) {
      expect(stall.closedAfterMs).toBeDefined();
      expect(stall.closedAfterMs!).toBeLessThan(SOCKET_TIMEOUT_MS * 6);
    }
    // Retried attempts were recorded as lost replies: the whole message had been sent when the
    // server fell silent (RFC 1047), so it may have been delivered; every message arrived once.
    const timedOut = rows.filter((r) => r.attempts > 1);
    expect(timedOut.length).toBeGreaterThan(0);
    const attempts = await Promise.all(
      ids.map(async (id) => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        return res.body.data.attempts as Array<{ outcome: string; errorCode: string | null }>;
      }),
    );
    const failures = attempts.flat().filter((a) => a.outcome === 'retry');
    // One lost reply per stalled DATA. Any other retry is a connection that timed out before DATA
    // (the timeouts here are 500 ms, which a loaded CI machine can miss), never a refusal.
    expect(failures.filter((f) => f.errorCode === 'REPLY_LOST')).toHaveLength(6);
    for (const failure of failures.filter((f) => f.errorCode !== 'REPLY_LOST')) {
      expect(['ETIMEDOUT', 'ECONNECTION', 'ESOCKET', 'ECONNRESET']).toContain(failure.errorCode);
    }
    const received = tally(sink.messageIds);
    expect(ids.map((id) => received.get(messageIdOf(id)))).toEqual(ids.map(() => 1));
  });

  it('relay that never answers: every message ends failed with the lost reply as the reason', async () => {
    const sink = await startSmtpSink({ stall: () => true });
    sinks.push(sink);
    const key = await createKey(few, newTenantId());
    await configureSmtp(few, key.token, {
      port: sink.port,
      user: 'sender@example.test',
      pass: 'p',
    });
    const ids = await acceptMany(key, 3, 'hung-forever', few);
    const rows = await allFinal(ids, 30_000, few);
    for (const row of rows) {
      expect(row).toMatchObject({
        status: 'failed',
        attempts: MAX_ATTEMPTS_FEW,
        // The server took each whole message and never answered: a lost reply, not a refusal.
        last_error: { class: 'transient', code: 'REPLY_LOST' },
      });
    }
    expect(sink.stalled).toHaveLength(3 * MAX_ATTEMPTS_FEW);
    expect(sink.messageIds).toEqual([]);
  });
});
