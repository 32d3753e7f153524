import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createTransport } from 'nodemailer';
import { DELAY_MS, latency, replicas } from './distant';
import { pacedLoad } from './paced-load';
import { sendGridEvents } from './sendgrid-events';
import { templateAccept } from './templates';
import { statsScenario } from './stats';
import {
  databaseServer,
  freePort,
  inParallel,
  json,
  log,
  message,
  poll,
  post,
  QUICK,
  ROOT,
  setupTenant,
  startGateway,
  startSink,
  type BenchDatabaseServer,
} from './support';
import { webhooks } from './webhooks';

const N = Number(process.env.BENCH_MESSAGES ?? (QUICK ? 2_000 : 20_000));
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? (QUICK ? 3 : 10));
const CONNECTIONS = QUICK ? [16, 64] : [16, 64, 128];
const SMTP_CONNECTIONS = 3; // the SMTP adapter's pool size (DEFAULT_SMTP_MAX_CONNECTIONS)
const BATCH = 500;
const PACED_WARMUP_S = QUICK ? 1 : 3;

let peakRssMb = 0;

async function delivery(
  server: BenchDatabaseServer,
): Promise<{ single: number; batch: number; baseline: number }> {
  const sink = await startSink();
  const gw = await startGateway(await server.createDatabase(), { DISPATCH_CONCURRENCY: '32' });
  let single: number;
  let batch: number;
  try {
    const token = await setupTenant(gw.url, sink.port);
    const auth = { authorization: `Bearer ${token}` };

    // mailgate, one message per POST /v1/emails: from the first accept to the last delivery.
    let started = Date.now();
    await inParallel(N, 32, async (i) => {
      const status = await post(`${gw.url}/v1/emails`, JSON.stringify(message(i)), auth);
      if (status !== 202) {
        throw new Error(`POST /v1/emails answered ${status}`);
      }
    });
    log(
      `  all ${N} accepted after ${((Date.now() - started) / 1000).toFixed(1)} s (${sink.count} delivered by then)`,
    );
    await poll(async () => sink.count >= N, 600_000, `${N} deliveries`, 10);
    single = N / ((Date.now() - started) / 1000);
    log(
      `delivery via POST /v1/emails: ${N} in ${((Date.now() - started) / 1000).toFixed(1)} s = ${single.toFixed(0)} msg/s`,
    );

    // mailgate, 500 per POST /v1/emails/batch.
    sink.count = 0;
    started = Date.now();
    await inParallel(Math.ceil(N / BATCH), 2, async (b) => {
      const messages = Array.from({ length: Math.min(BATCH, N - b * BATCH) }, (_, i) =>
        message(b * BATCH + i),
      );
      await json(`${gw.url}/v1/emails/batch`, 'POST', { messages }, auth);
    });
    await poll(async () => sink.count >= N, 600_000, `${N} batch deliveries`, 10);
    batch = N / ((Date.now() - started) / 1000);
    log(`delivery via /v1/emails/batch: ${batch.toFixed(0)} msg/s`);
    peakRssMb = Math.max(peakRssMb, gw.peakRssMb());
  } finally {
    await gw.stop();
  }

  // Baseline: nodemailer alone, pooled with the same connection count, same messages, same sink.
  sink.count = 0;
  const transport = createTransport({
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    maxMessages: 100,
    host: '127.0.0.1',
    port: sink.port,
    secure: false,
    auth: { user: 'bench@example.test', pass: 'x' },
  });
  const started = Date.now();
  await inParallel(N, 32, async (i) => {
    const m = message(i) as {
      to: Array<{ name: string; email: string }>;
      subject: string;
      text: string;
      html: string;
    };
    await transport.sendMail({
      from: 'bench@example.test',
      to: m.to.map((t) => ({ name: t.name, address: t.email })),
      subject: m.subject,
      text: m.text,
      html: m.html,
      messageId: `<bench-${i}@example.test>`,
    });
  });
  const baseline = N / ((Date.now() - started) / 1000);
  transport.close();
  await sink.close();
  log(`baseline nodemailer (pool of ${SMTP_CONNECTIONS}): ${baseline.toFixed(0)} msg/s`);
  return { single, batch, baseline };
}

interface Load {
  rps: number;
  p50: number;
  p99: number;
}

function load(
  url: string,
  options: {
    connections: number;
    body: string;
    headers: Record<string, string>;
  },
): Promise<Load> {
  return new Promise((resolveLoad, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections: options.connections,
        duration: DURATION_S,
        body: options.body,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (error, result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        const ok = result.non2xx === 0;
        if (!ok) {
          log(`warning: ${result.non2xx} non-2xx answers of ${result.requests.total}`);
        }
        resolveLoad({
          rps: result.requests.average,
          p50: result.latency.p50,
          p99: result.latency.p99,
        });
      },
    );
  });
}

async function startBare(databaseUrl: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'bench', 'bare-server.js')], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await poll(
    async () =>
      (
        await fetch(`${url}/v1/emails`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status === 202,
    20_000,
    'the bare server',
  );
  return {
    url,
    stop: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))),
  };
}

async function accept(server: BenchDatabaseServer): Promise<{
  table: Array<[string, number, Load, Load]>;
  ratio: number;
  p99AtHalf: number;
  bareP99AtHalf: number;
  batchMsgs: number;
  readyMs: number;
}> {
  const body = JSON.stringify(message(1));
  const db = await server.createDatabase();
  const sink = await startSink();
  // First start migrates; the second start on the migrated database measures start-to-ready.
  const first = await startGateway(db, { MAILGATE_ROLE: 'api' });
  const token = await setupTenant(first.url, sink.port);
  await first.stop();
  const gw = await startGateway(db, { MAILGATE_ROLE: 'api' });
  const readyMs = gw.readyMs;
  const bare = await startBare(await server.createDatabase());
  const table: Array<[string, number, Load, Load]> = [];
  try {
    const headers = { authorization: `Bearer ${token}` };
    let bestGateway = 0;
    let bestBare = 0;
    for (const connections of CONNECTIONS) {
      const g = await load(`${gw.url}/v1/emails`, { connections, body, headers });
      const b = await load(`${bare.url}/v1/emails`, { connections, body, headers });
      table.push(['POST /v1/emails', connections, g, b]);
      log(
        `accept c=${connections}: mailgate ${g.rps.toFixed(0)} rps p50 ${g.p50} p99 ${g.p99} ms | bare ${b.rps.toFixed(0)} rps p50 ${b.p50} p99 ${b.p99} ms`,
      );
      bestGateway = Math.max(bestGateway, g.rps);
      bestBare = Math.max(bestBare, b.rps);
    }
    // Open-loop at half the best rate, on each server after a checkpoint and a few unrecorded
    // seconds: neither pays for the dirty buffers of the load before it.
    const paced = {
      rate: Math.floor(bestGateway / 2),
      warmupS: PACED_WARMUP_S,
      durationS: DURATION_S,
      body,
      headers,
    };
    await server.checkpoint();
    const half = await pacedLoad(`${gw.url}/v1/emails`, paced);
    await server.checkpoint();
    const bareHalf = await pacedLoad(`${bare.url}/v1/emails`, paced);
    log(
      `accept at half the best rate (${paced.rate} rps, open loop): mailgate p50 ${half.p50} p99 ${half.p99} max ${half.max} ms | bare p50 ${bareHalf.p50} p99 ${bareHalf.p99} max ${bareHalf.max} ms`,
    );
    const batchBody = JSON.stringify({
      messages: Array.from({ length: BATCH }, (_, i) => message(i)),
    });
    const batch = await load(`${gw.url}/v1/emails/batch`, {
      connections: 4,
      body: batchBody,
      headers,
    });
    const batchMsgs = batch.rps * BATCH;
    log(
      `batch accept: ${batch.rps.toFixed(1)} req/s x ${BATCH} = ${batchMsgs.toFixed(0)} msg/s (p99 ${batch.p99} ms)`,
    );
    peakRssMb = Math.max(peakRssMb, gw.peakRssMb());
    return {
      table,
      ratio: bestGateway / bestBare,
      p99AtHalf: half.p99,
      bareP99AtHalf: bareHalf.p99,
      batchMsgs,
      readyMs,
    };
  } finally {
    await Promise.all([gw.stop(), bare.stop(), sink.close()]);
  }
}

const FAIRNESS_BACKLOG = QUICK ? 2_000 : 10_000;
const FAIRNESS_WINDOW_S = QUICK ? 5 : 10;
const FAIRNESS_QUIET_MESSAGES = 20;

/**
 * Fairness: tenant A has a backlog against a provider answering in 250 ms; tenant B (a fast
 * provider) sends 20 messages one at a time. B's latency from accept to delivery, and A's
 * throughput with B compared with A alone over the same window.
 */
async function fairness(
  server: BenchDatabaseServer,
): Promise<{ p50: number; p99: number; aRatio: number }> {
  const [slow, fast] = await Promise.all([startSink({ delayMs: 250 }), startSink()]);
  const gw = await startGateway(await server.createDatabase(), {});
  try {
    const tokenA = await setupTenant(gw.url, slow.port, { tenant: 'bench-busy' });
    const tokenB = await setupTenant(gw.url, fast.port, { tenant: 'bench-quiet' });
    for (let offset = 0; offset < FAIRNESS_BACKLOG; offset += BATCH) {
      const messages = Array.from({ length: Math.min(BATCH, FAIRNESS_BACKLOG - offset) }, (_, i) =>
        message(offset + i),
      );
      await json(
        `${gw.url}/v1/emails/batch`,
        'POST',
        { messages },
        {
          authorization: `Bearer ${tokenA}`,
        },
      );
    }
    await poll(async () => slow.count >= 10, 60_000, 'A sending', 10);
    let from = slow.count;
    let started = Date.now();
    await new Promise((r) => setTimeout(r, FAIRNESS_WINDOW_S * 1000));
    const alone = (slow.count - from) / ((Date.now() - started) / 1000);

    from = slow.count;
    started = Date.now();
    const latencies: number[] = [];
    for (let i = 0; i < FAIRNESS_QUIET_MESSAGES; i++) {
      const sent = Date.now();
      const before = fast.count;
      const status = await post(`${gw.url}/v1/emails`, JSON.stringify(message(i)), {
        authorization: `Bearer ${tokenB}`,
      });
      if (status !== 202) {
        throw new Error(`POST /v1/emails answered ${status}`);
      }
      await poll(async () => fast.count > before, 60_000, `quiet message ${i}`, 2);
      latencies.push(Date.now() - sent);
      // Spread B's messages over the window, so A's rate is measured beside them.
      await new Promise((r) =>
        setTimeout(
          r,
          Math.max(0, (FAIRNESS_WINDOW_S * 1000) / FAIRNESS_QUIET_MESSAGES - (Date.now() - sent)),
        ),
      );
    }
    const beside = (slow.count - from) / ((Date.now() - started) / 1000);
    latencies.sort((a, b) => a - b);
    const at = (p: number): number =>
      latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
    log(
      `fairness: quiet tenant p50 ${at(50)} ms, p99 ${at(99)} ms; busy tenant ${alone.toFixed(1)} msg/s alone, ${beside.toFixed(1)} msg/s beside it`,
    );
    peakRssMb = Math.max(peakRssMb, gw.peakRssMb());
    return { p50: at(50), p99: at(99), aRatio: beside / alone };
  } finally {
    await gw.stop();
    await Promise.all([slow.close(), fast.close()]);
  }
}

async function main(): Promise<void> {
  const scenario = process.argv[2] ?? 'all';
  const server = await databaseServer();
  const figures: Record<string, string> = {};
  try {
    if (scenario === 'all' || scenario === 'delivery') {
      const d = await delivery(server);
      figures.delivery_ratio = (d.single / d.baseline).toFixed(2);
      figures.delivery_msgs_per_s = d.single.toFixed(0);
      figures.delivery_batch_msgs_per_s = d.batch.toFixed(0);
      figures.baseline_msgs_per_s = d.baseline.toFixed(0);
    }
    if (scenario === 'all' || scenario === 'accept') {
      const a = await accept(server);
      figures.accept_ratio = a.ratio.toFixed(2);
      figures.batch_msgs_per_s = a.batchMsgs.toFixed(0);
      figures.accept_p99_ms = String(a.p99AtHalf);
      figures.bare_p99_at_half_ms = String(a.bareP99AtHalf);
      figures.ready_ms = String(a.readyMs);
      console.log(
        '| route | connections | mailgate rps | p50 ms | p99 ms | bare rps | p50 ms | p99 ms |',
      );
      console.log('|---|---|---|---|---|---|---|---|');
      for (const [route, c, g, b] of a.table) {
        console.log(
          `| ${route} | ${c} | ${g.rps.toFixed(0)} | ${g.p50} | ${g.p99} | ${b.rps.toFixed(0)} | ${b.p50} | ${b.p99} |`,
        );
      }
    }
    if (scenario === 'all' || scenario === 'fairness') {
      const f = await fairness(server);
      figures.fairness_quiet_p50_ms = String(f.p50);
      figures.fairness_quiet_p99_ms = String(f.p99);
      figures.fairness_busy_ratio = f.aRatio.toFixed(2);
    }
    if (scenario === 'all' || scenario === 'latency') {
      const l = await latency(server);
      figures.latency_limit_msgs_per_s = l.limit.toFixed(0);
      figures.latency_smtp_msgs_per_s = l.smtp.toFixed(0);
      figures.latency_sendgrid_msgs_per_s = l.sendGrid.toFixed(0);
      // The weaker of the two providers decides.
      figures.latency_ratio = (Math.min(l.smtp, l.sendGrid) / l.limit).toFixed(2);
      console.log(
        `| provider ${DELAY_MS} ms away, ${l.inFlight} in flight | msg/s | limit | ratio |`,
      );
      console.log('|---|---|---|---|');
      console.log(
        `| custom SMTP | ${l.smtp.toFixed(0)} | ${l.limit.toFixed(0)} | ${(l.smtp / l.limit).toFixed(2)} |`,
      );
      console.log(
        `| SendGrid v3 | ${l.sendGrid.toFixed(0)} | ${l.limit.toFixed(0)} | ${(l.sendGrid / l.limit).toFixed(2)} |`,
      );
    }
    if (scenario === 'all' || scenario === 'replicas') {
      const runs = await replicas(server);
      const one = runs[0].rate;
      for (const run of runs) {
        figures[`replicas_${run.replicas}_msgs_per_s`] = run.rate.toFixed(0);
      }
      figures.scale_2x = (runs[1].rate / one).toFixed(2);
      figures.scale_4x = (runs[2].rate / one).toFixed(2);
      figures.replica_duplicates = String(runs.reduce((sum, run) => sum + run.duplicates, 0));
      figures.replica_lost = String(runs.reduce((sum, run) => sum + run.lost, 0));
      console.log(
        '| workers | messages | msg/s | limit | duplicates | lost | gateway CPU (cores) | load avg | commits/msg | WAL bytes/msg (cluster; accept) |',
      );
      console.log('|---|---|---|---|---|---|---|---|---|---|');
      for (const run of runs) {
        console.log(
          `| ${run.replicas} | ${run.messages} | ${run.rate.toFixed(0)} | ${run.limit} | ${run.duplicates} | ${run.lost} | ${run.workerCpu.toFixed(2)} | ${run.loadAverage.toFixed(2)} | ${run.commitsPerMessage.toFixed(2)} | ${run.walBytesPerMessage.toFixed(0)}; ${run.walBytesPerAccept.toFixed(0)} |`,
        );
      }
    }
    if (scenario === 'all' || scenario === 'templates') {
      const tpl = await templateAccept(server);
      figures.template_accept_ratio = tpl.ratio.toFixed(2);
      figures.template_accept_rps = tpl.template.toFixed(0);
      figures.plain_accept_rps = tpl.plain.toFixed(0);
    }
    if (scenario === 'all' || scenario === 'stats') {
      const s = await statsScenario(server);
      figures.stats_1h_p50_ms = String(s.hour.p50);
      figures.stats_24h_p50_ms = String(s.day.p50);
      console.log(
        `| GET /v1/stats, ${s.messages} messages in the tenant | first ms | p50 ms | max ms |`,
      );
      console.log('|---|---|---|---|');
      console.log(`| window=1h | ${s.hour.first} | ${s.hour.p50} | ${s.hour.max} |`);
      console.log(`| window=24h | ${s.day.first} | ${s.day.p50} | ${s.day.max} |`);
      console.log(s.explain);
    }
    if (scenario === 'all' || scenario === 'sendgrid-events') {
      const e = await sendGridEvents(server);
      figures.sendgrid_event_batch_p50_ms = String(e.p50Ms);
      figures.sendgrid_events_per_s = e.eventsPerS.toFixed(0);
      console.log(
        `| ${e.events}-event signed SendGrid batch, ${e.rounds} batches | p50 ms | max ms | events/s | repeated batch ms | load avg |`,
      );
      console.log('|---|---|---|---|---|---|');
      console.log(
        `| one request each | ${e.p50Ms} | ${e.maxMs} | ${e.eventsPerS.toFixed(0)} | ${e.duplicateMs} | ${e.loadAverage.toFixed(2)} |`,
      );
    }
    // Not part of `all`: the webhook figures have their own section in bench/README.md.
    if (scenario === 'webhooks') {
      const w = await webhooks(server);
      figures.webhook_events_per_s = w.eventsPerS.toFixed(0);
      figures.webhook_steady_accepts_per_s = w.steadyRps.toFixed(0);
      figures.webhook_oldest_age_p50_s = w.steadyOldestP50S.toFixed(2);
      figures.webhook_oldest_age_max_s = w.steadyOldestMaxS.toFixed(2);
    }
    figures.peak_rss_mb = String(peakRssMb);
  } finally {
    await server.close();
  }
  const order = [
    'delivery_ratio',
    'accept_ratio',
    'batch_msgs_per_s',
    'accept_p99_ms',
    'peak_rss_mb',
    'ready_ms',
    'latency_ratio',
    'scale_2x',
    'scale_4x',
    'replica_duplicates',
    'replica_lost',
    'template_accept_ratio',
    'stats_1h_p50_ms',
    'stats_24h_p50_ms',
    'fairness_quiet_p99_ms',
  ];
  const extra = Object.keys(figures).filter((k) => !order.includes(k));
  for (const key of extra) {
    console.log(`${key}=${figures[key]}`);
  }
  console.log(
    order
      .filter((k) => k in figures)
      .map((k) => `${k}=${figures[k]}`)
      .join(' '),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
