import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { messageIdOf, statusCounts, tally } from './support/outbox';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

const IN_FLIGHT = 20;
const TOTAL = 40;

/**
 * Sends that the provider acknowledges while PostgreSQL is away (a restart, a failover) must be
 * recorded when it is back, not sent again when their lease expires: with an outage shorter than
 * the lease, 0 lost and 0 duplicates, counted by Message-ID at the server.
 */
describe('reliability: sends finished during a short PostgreSQL outage', () => {
  let pg: OwnPostgres;
  let t: TestApp;
  let sink: SmtpSink;
  let key: TestKey;

  beforeAll(async () => {
    // Each reply takes 1 s, so all the sends in flight are surely mid-DATA when the database stops.
    [pg, sink] = await Promise.all([
      startOwnPostgres('mailgate-pg-outage-'),
      startSmtpSink({ delayMs: 1_000 }),
    ]);
    t = await startTestApp({
      db: pg.testDb,
      env: {
        DISPATCH_CONCURRENCY: String(IN_FLIGHT),
        DISPATCH_TENANT_CONCURRENCY: String(IN_FLIGHT),
        // Longer than the outage: the lease is what bounds the bookkeeping's retries.
        DISPATCH_LEASE_MS: '30000',
        DISPATCH_RETRY_BASE_MS: '100',
      },
    });
    key = await createKey(t, newTenantId());
    await configureSmtp(
      t,
      key.token,
      { port: sink.port, user: 'sender@example.test', pass: 'p' },
      { concurrency: { maxConnections: IN_FLIGHT } },
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await pg?.remove();
    await sink?.close();
  });

  it('records what was sent while the database was down: 0 lost, 0 sent twice', async () => {
    const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: {
        messages: Array.from({ length: TOTAL }, (_, i) =>
          anEmail({ from: 'sender@example.test', subject: `outage ${i}` }),
        ),
      },
    });
    expect(res.status).toBe(202);
    const ids: string[] = res.body.data.results.map((r: { id: string }) => r.id);

    await waitFor(() => sink.dataCommands >= IN_FLIGHT, {
      timeoutMs: 20_000,
      what: `${IN_FLIGHT} sends in DATA`,
    });
    expect(sink.messageIds).toEqual([]);
    await pg.stop();
    // Every send in flight is acknowledged by the server while the database is away.
    await waitFor(() => sink.messageIds.length >= IN_FLIGHT, {
      timeoutMs: 20_000,
      what: `${IN_FLIGHT} acknowledged while the database is down`,
    });
    const ackedWhileDown = sink.messageIds.length;
    const downFor = Date.now();
    await pg.start();
    console.log(
      `outage: ${ackedWhileDown} sends acknowledged while PostgreSQL was down; restart took ${Date.now() - downFor} ms`,
    );

    await waitFor(async () => (await statusCounts(t.db.url)).sent === TOTAL, {
      timeoutMs: 60_000,
      what: `all ${TOTAL} sent`,
    });
    expect(await statusCounts(t.db.url)).toEqual({ sent: TOTAL });
    const received = tally(sink.messageIds);
    expect(ids.filter((id) => !received.has(messageIdOf(id)))).toEqual([]);
    expect([...received].filter(([, n]) => n > 1)).toEqual([]);
    expect(sink.messageIds).toHaveLength(TOTAL);
  });
});
