import { http, startTestApp, waitFor, type HttpResult, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { messageIdOf, statusCounts, tally } from './support/outbox';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

const CONCURRENCY = 4;

/**
 * PostgreSQL goes away in the middle of sending and comes back on the same port. The gateway
 * must say so (ready 503, no 202 it cannot keep), reconnect by itself, and finish every message
 * it accepted; only the sends in flight at the outage may go out twice, each with its Message-ID.
 */
describe('reliability: PostgreSQL restarted during sending', () => {
  let pg: OwnPostgres;
  let t: TestApp;
  let sink: SmtpSink;
  let key: TestKey;

  beforeAll(async () => {
    [pg, sink] = await Promise.all([
      startOwnPostgres('mailgate-pg-restart-'),
      startSmtpSink({ delayMs: 15 }),
    ]);
    t = await startTestApp({
      db: pg.testDb,
      env: {
        DISPATCH_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_TENANT_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_LEASE_MS: '2000',
        DISPATCH_RETRY_BASE_MS: '100',
      },
    });
    key = await createKey(t, newTenantId());
    await configureSmtp(t, key.token, { port: sink.port, user: 'sender@example.test', pass: 'p' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await pg?.remove();
    await sink?.close();
  });

  async function batch(n: number, label: string): Promise<string[]> {
    const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: {
        messages: Array.from({ length: n }, (_, i) =>
          anEmail({ from: 'sender@example.test', subject: `${label} ${i}` }),
        ),
      },
    });
    expect(res.status).toBe(202);
    return res.body.data.results.map((r: { id: string }) => r.id);
  }

  it('reconnects, reports 503 while down, and sends everything it accepted', async () => {
    const before = await batch(300, 'before');
    await waitFor(() => sink.messageIds.length >= 30, { timeoutMs: 20_000, what: '30 sent' });

    await pg.stop();
    const down = await waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', '/health/ready');
        return res.status === 503 ? res : undefined;
      },
      { timeoutMs: 10_000, what: 'ready=503' },
    );
    expect(down.body).toMatchObject({ error: { database: { status: 'down' } } });
    const sentAtOutage = sink.messageIds.length;

    // While the database is down nothing can be stored, so nothing may be acknowledged.
    const during: Array<HttpResult<{ statusCode: number; requestId: string }>> = [];
    for (let i = 0; i < 5; i += 1) {
      during.push(
        await http(t.baseUrl, 'POST', '/v1/emails', {
          token: key.token,
          body: anEmail({ from: 'sender@example.test', subject: `during ${i}` }),
        }),
      );
    }
    for (const res of during) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.body).toMatchObject({ statusCode: 503, apiCode: 50300 });
      expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
    }

    await pg.start();
    await waitFor(async () => (await http(t.baseUrl, 'GET', '/health/ready')).status === 200, {
      timeoutMs: 20_000,
      what: 'ready=200 again',
    });
    const after = await batch(50, 'after');
    const ids = [...before, ...after];

    await waitFor(async () => (await statusCounts(t.db.url)).sent === ids.length, {
      timeoutMs: 60_000,
      what: `all ${ids.length} sent`,
    });
    const counts = await statusCounts(t.db.url);
    expect(counts).toEqual({ sent: ids.length });

    // Nothing lost: every accepted message reached the relay, under its own Message-ID.
    const received = tally(sink.messageIds);
    const lost = ids.filter((id) => !received.has(messageIdOf(id)));
    expect(lost).toEqual([]);
    expect(received.size).toBe(ids.length);
    // At-least-once: only sends in flight when the database went away may repeat, once each.
    const repeated = [...received].filter(([, n]) => n > 1);
    expect(repeated.length).toBeLessThanOrEqual(CONCURRENCY);
    expect(repeated.every(([, n]) => n === 2)).toBe(true);
    // And sending did continue after the restart (not just before the outage).
    expect(sink.messageIds.length).toBeGreaterThan(sentAtOutage);
    console.log(
      `database restart: ${ids.length} accepted, ${ids.length - lost.length} sent, lost ${lost.length}, ` +
        `duplicates ${repeated.length} (in flight at the outage <= ${CONCURRENCY})`,
    );
  });
});
