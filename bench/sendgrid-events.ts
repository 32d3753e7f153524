import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
// The tests' signer (compiled into dist/ by `npm run build:bench`): ECDSA P-256 as SendGrid signs.
import { SendGridEventSigner } from '../test/support/sendgrid/event-signer';
import {
  json,
  log,
  message,
  poll,
  QUICK,
  setupTenant,
  startGateway,
  startSink,
  type BenchDatabaseServer,
} from './support';

/** Events per signed batch: the figure (SendGrid posts batches of up to a few thousand). */
const BATCH_EVENTS = Number(process.env.BENCH_SENDGRID_BATCH ?? 1_000);
const ROUNDS = Number(process.env.BENCH_SENDGRID_ROUNDS ?? (QUICK ? 3 : 10));
/** What SendGrid reports after it took a message, in order; each round is one of them per message. */
const TYPES = ['processed', 'delivered', 'open', 'click'] as const;

export interface SendGridEventFigures {
  events: number;
  rounds: number;
  /** Per batch, from the POST to its answer (verify, parse, apply every event in one transaction). */
  p50Ms: number;
  maxMs: number;
  eventsPerS: number;
  /** The same batch again (SendGrid retries): each sg_event_id found already stored. */
  duplicateMs: number;
  loadAverage: number;
}

/**
 * SendGrid's signed Event Webhook under a full batch: BATCH_EVENTS messages are sent through a
 * SendGrid sink, then ROUNDS batches of BATCH_EVENTS signed events (one per message, each round the
 * next event type: processed, delivered, open, click, …) are posted one at a time to
 * POST /v1/provider-events/sendgrid/:tenant and timed from request to answer.
 */
export async function sendGridEvents(server: BenchDatabaseServer): Promise<SendGridEventFigures> {
  const sink = await startSink({ kind: 'sendgrid' });
  const gw = await startGateway(await server.createDatabase(), {
    SENDGRID_API_URL: `http://127.0.0.1:${sink.port}`,
  });
  const signer = new SendGridEventSigner();
  const tenant = 'bench-sendgrid-events';
  try {
    const token = await setupTenant(gw.url, sink.port, {
      tenant,
      provider: 'sendgrid',
      webhookVerificationKey: signer.verificationKey,
    });
    const auth = { authorization: `Bearer ${token}` };
    const ids: string[] = [];
    for (let start = 0; start < BATCH_EVENTS; start += 500) {
      const count = Math.min(500, BATCH_EVENTS - start);
      const accepted = await json(
        `${gw.url}/v1/emails/batch`,
        'POST',
        { messages: Array.from({ length: count }, (_, i) => message(start + i)) },
        auth,
      );
      ids.push(...(accepted.data.results as Array<{ id: string }>).map((r) => r.id));
    }
    await poll(async () => sink.count >= BATCH_EVENTS, 300_000, 'the sends', 20);
    if (sink.invalid > 0) {
      throw new Error(`the SendGrid sink refused ${sink.invalid} invalid bodies`);
    }

    const batch = (round: number): string => {
      const type = TYPES[round % TYPES.length];
      const timestamp = Math.floor(Date.now() / 1000);
      return JSON.stringify(
        ids.map((id, i) => ({
          email: `user${i}@example.test`,
          timestamp,
          event: type,
          sg_event_id: randomBytes(16).toString('base64url'),
          sg_message_id: `bench${i}.filter0001.1.0`,
          mailgate_id: id,
          ...(type === 'delivered' ? { response: '250 2.0.0 OK', ip: '192.0.2.1' } : {}),
          ...(type === 'click' ? { url: 'https://example.test/a', useragent: 'bench' } : {}),
        })),
      );
    };
    const postBatch = async (body: string): Promise<{ ms: number; result: unknown }> => {
      const started = performance.now();
      const res = await fetch(`${gw.url}/v1/provider-events/sendgrid/${tenant}`, {
        method: 'POST',
        headers: signer.headers(body),
        body,
      });
      const answer = (await res.json()) as { data: unknown };
      const ms = performance.now() - started;
      if (res.status !== 200) {
        throw new Error(`the event batch answered ${res.status}: ${JSON.stringify(answer)}`);
      }
      return { ms, result: answer.data };
    };

    const times: number[] = [];
    const loads: number[] = [];
    let last = '';
    for (let round = 0; round < ROUNDS; round += 1) {
      last = batch(round);
      const { ms, result } = await postBatch(last);
      const expected = {
        received: BATCH_EVENTS,
        stored: BATCH_EVENTS,
        duplicates: 0,
        unmatched: 0,
      };
      if (JSON.stringify(result) !== JSON.stringify(expected)) {
        throw new Error(`batch ${round} applied ${JSON.stringify(result)}`);
      }
      times.push(ms);
      loads.push(loadavg()[0]);
      log(`  batch ${round} (${TYPES[round % TYPES.length]}): ${ms.toFixed(0)} ms`);
    }
    const again = await postBatch(last);
    if ((again.result as { duplicates: number }).duplicates !== BATCH_EVENTS) {
      throw new Error(`the repeated batch applied ${JSON.stringify(again.result)}`);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const p50Ms = sorted[Math.floor(sorted.length / 2)];
    const figures = {
      events: BATCH_EVENTS,
      rounds: ROUNDS,
      p50Ms: Math.round(p50Ms),
      maxMs: Math.round(sorted[sorted.length - 1]),
      eventsPerS: BATCH_EVENTS / (p50Ms / 1000),
      duplicateMs: Math.round(again.ms),
      loadAverage: loads.reduce((sum, l) => sum + l, 0) / loads.length,
    };
    log(
      `SendGrid events: ${BATCH_EVENTS}-event batch p50 ${figures.p50Ms} ms (max ${figures.maxMs}) = ${figures.eventsPerS.toFixed(0)} events/s; repeated batch ${figures.duplicateMs} ms; load average ${figures.loadAverage.toFixed(2)}`,
    );
    return figures;
  } finally {
    await gw.stop();
    await sink.close();
  }
}
