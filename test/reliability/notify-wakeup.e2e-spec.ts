import { setTimeout as delay } from 'node:timers/promises';
import { query } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

/** The dispatcher's idle safety poll (src/emails/dispatcher.service.ts IDLE_POLL_MS). */
const IDLE_POLL_MS = 2_000;
const SENDS = 10;
/** Under polling alone a wake-up waits U(0, 2 s): below this in 35 % of cases. */
const PROMPT_MS = 700;

/**
 * A message accepted while the dispatcher idles is claimed on the outbox NOTIFY, not on the next
 * safety poll — also after PostgreSQL restarted and the listener had to reconnect. Sends are
 * spread at random offsets so they cannot line up with the poll; if only the poll woke the
 * dispatcher, 8 of 10 prompt claims would happen with a probability of about 0.5 %.
 */
describe('reliability: LISTEN/NOTIFY wakes the dispatcher, before and after a PostgreSQL restart', () => {
  let pg: OwnPostgres;
  let t: TestApp;
  let sink: SmtpSink;
  let key: TestKey;

  beforeAll(async () => {
    [pg, sink] = await Promise.all([startOwnPostgres('mailgate-notify-'), startSmtpSink()]);
    t = await startTestApp({ db: pg.testDb });
    key = await createKey(t, newTenantId());
    await configureSmtp(t, key.token, { port: sink.port, user: 'sender@example.test', pass: 'p' });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await pg?.remove();
    await sink?.close();
  });

  /** Accept → first attempt started, per message, in ms (the database's own clock for both). */
  async function wakeUpLatencies(): Promise<number[]> {
    const ids: string[] = [];
    for (let i = 0; i < SENDS; i += 1) {
      // Spread over more than one poll period, so the sends cannot all follow a poll.
      await delay(100 + Math.random() * IDLE_POLL_MS * 0.6);
      const res = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: key.token,
        body: anEmail(),
      });
      expect(res.status).toBe(202);
      ids.push(res.body.data.id as string);
      await waitFor(() => sink.messageIds.includes(`<${ids[i]}@example.test>`), {
        what: `message ${i} sent`,
      });
    }
    const rows = await query<{ ms: number }>(
      t.db.url,
      `SELECT extract(epoch FROM (SELECT min(a.started_at) FROM email_attempts a WHERE a.message_id = m.id)
                                 - m.created_at) * 1000 AS ms
         FROM email_messages m WHERE m.id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
  }

  function report(label: string, latencies: number[]): void {
    const p50 = latencies[Math.floor(latencies.length / 2)];
    console.log(
      `NOTIFY wake-up ${label}: p50 ${p50.toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms ` +
        `(safety poll every ${IDLE_POLL_MS} ms)`,
    );
    expect(latencies.filter((ms) => ms < PROMPT_MS).length).toBeGreaterThanOrEqual(8);
  }

  it('claims a new message on its NOTIFY, not on the safety poll', async () => {
    report('before the restart', await wakeUpLatencies());
  });

  it('after a restart the listener reconnects and NOTIFY wakes the dispatcher again', async () => {
    await pg.stop();
    await pg.start();
    await waitFor(async () => (await http(t.baseUrl, 'GET', '/health/ready')).status === 200, {
      timeoutMs: 20_000,
      what: 'ready=200 again',
    });
    await waitFor(
      async () =>
        (
          await query<{ n: number }>(
            t.db.url,
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE application_name = 'mailgate-listener' AND query ILIKE 'LISTEN%'`,
          )
        )[0].n === 1,
      { timeoutMs: 20_000, what: 'the outbox listener back on the restarted server' },
    );
    report('after the restart', await wakeUpLatencies());
  });
});
