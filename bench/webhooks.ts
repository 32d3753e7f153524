import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  json,
  log,
  message,
  poll,
  post,
  QUICK,
  ROOT_KEY,
  setupTenant,
  startGateway,
  startSink,
  type BenchDatabaseServer,
} from './support';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? (QUICK ? 2_000 : 10_000));
const STEADY_RPS = Number(process.env.BENCH_WEBHOOK_RPS ?? 100);
const STEADY_S = QUICK ? 10 : 30;

export interface WebhookFigures {
  /** email.sent events delivered per second to the local receiver, from a batch backlog. */
  eventsPerS: number;
  /** Largest outbox oldest-pending age seen under the steady send load. */
  steadyOldestMaxS: number;
  /** Median of those samples. */
  steadyOldestP50S: number;
  steadyRps: number;
}

/** A receiver that answers 200 at once and counts distinct webhook-ids. */
async function startReceiver(): Promise<{ url: string; ids: Set<string>; close(): Promise<void> }> {
  const ids = new Set<string>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      ids.add(String(req.headers['webhook-id']));
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    ids,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function oldestAge(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = /^mailgate_webhook_outbox_oldest_age_seconds ([\d.e+-]+)$/m.exec(text);
  return match === null ? NaN : Number(match[1]);
}

/**
 * Webhook throughput: a backlog of EVENTS messages accepted in batches, timed until every
 * email.sent event reached a local receiver; then a steady send load (STEADY_RPS single accepts
 * per second) with the outbox's oldest pending age sampled every second.
 */
export async function webhooks(server: BenchDatabaseServer): Promise<WebhookFigures> {
  const sink = await startSink();
  const receiver = await startReceiver();
  const gw = await startGateway(await server.createDatabase(), { DISPATCH_CONCURRENCY: '32' });
  try {
    const token = await setupTenant(gw.url, sink.port);
    const root = { authorization: `Bearer ${ROOT_KEY}`, 'x-authing-userpool-id': 'bench-tenant' };
    await json(
      `${gw.url}/v1/webhook-endpoints`,
      'POST',
      { url: receiver.url, events: ['email.sent'] },
      root,
    );
    const auth = { authorization: `Bearer ${token}` };

    let started = Date.now();
    for (let offset = 0; offset < EVENTS; offset += 500) {
      const messages = Array.from({ length: Math.min(500, EVENTS - offset) }, (_, i) =>
        message(offset + i),
      );
      await json(`${gw.url}/v1/emails/batch`, 'POST', { messages }, auth);
    }
    await poll(async () => receiver.ids.size >= EVENTS, 600_000, `${EVENTS} webhook events`, 10);
    const eventsPerS = EVENTS / ((Date.now() - started) / 1000);
    log(
      `webhooks: ${EVENTS} email.sent events delivered in ${((Date.now() - started) / 1000).toFixed(1)} s = ${eventsPerS.toFixed(0)} events/s (mail delivered by then: ${sink.count})`,
    );

    // Steady load: single accepts at STEADY_RPS, oldest pending webhook age sampled each second.
    const before = receiver.ids.size;
    const samples: number[] = [];
    started = Date.now();
    let sent = 0;
    const sampler = setInterval(() => {
      void oldestAge(gw.url).then((age) => samples.push(age));
    }, 1_000);
    try {
      while (Date.now() - started < STEADY_S * 1000) {
        const due = Math.floor(((Date.now() - started) / 1000) * STEADY_RPS);
        const batch: Array<Promise<number>> = [];
        for (; sent < due; sent += 1) {
          batch.push(post(`${gw.url}/v1/emails`, JSON.stringify(message(EVENTS + sent)), auth));
        }
        await Promise.all(batch);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      clearInterval(sampler);
    }
    await poll(async () => receiver.ids.size >= before + sent, 600_000, 'steady events', 10);
    const valid = samples.filter((s) => !Number.isNaN(s)).sort((a, b) => a - b);
    const figures: WebhookFigures = {
      eventsPerS,
      steadyOldestMaxS: valid[valid.length - 1] ?? NaN,
      steadyOldestP50S: valid[Math.floor(valid.length / 2)] ?? NaN,
      steadyRps: sent / STEADY_S,
    };
    log(
      `webhooks under ${figures.steadyRps.toFixed(0)} accepts/s for ${STEADY_S} s: outbox oldest age p50 ${figures.steadyOldestP50S.toFixed(2)} s, max ${figures.steadyOldestMaxS.toFixed(2)} s (${valid.length} samples)`,
    );
    return figures;
  } finally {
    await gw.stop();
    await receiver.close();
    await sink.close();
  }
}
