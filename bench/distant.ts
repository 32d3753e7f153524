import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import {
  inParallel,
  json,
  log,
  message,
  poll,
  QUICK,
  setupTenant,
  startGateway,
  startSink,
  type BenchDatabaseServer,
  type Gateway,
  type Sink,
} from './support';

/** The emulated provider's answer time per message (BENCH_DELAY_MS). */
export const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 100);
const BATCH = 500;

/** Accepts `n` messages through /v1/emails/batch (500 per request, 2 requests at a time). */
async function acceptBatches(gatewayUrl: string, token: string, n: number): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  await inParallel(Math.ceil(n / BATCH), 2, async (b) => {
    const messages = Array.from({ length: Math.min(BATCH, n - b * BATCH) }, (_, i) =>
      message(b * BATCH + i),
    );
    await json(`${gatewayUrl}/v1/emails/batch`, 'POST', { messages }, auth);
  });
}

/** Accepts `n` and waits until the sink saw `n` distinct Message-IDs: msg/s from the first accept. */
async function deliver(
  gatewayUrl: string,
  token: string,
  sink: Sink,
  n: number,
  afterAccept: () => Promise<void> = async () => undefined,
): Promise<{ rate: number; seconds: number }> {
  await sink.reset();
  const started = Date.now();
  await acceptBatches(gatewayUrl, token, n);
  await afterAccept();
  await poll(async () => sink.distinct >= n, 600_000, `${n} deliveries`, 10);
  const seconds = (Date.now() - started) / 1000;
  return { rate: n / seconds, seconds };
}

export interface LatencyResult {
  inFlight: number;
  limit: number;
  smtp: number;
  sendGrid: number;
}

/**
 * One worker replica drains a backlog of `n` already accepted: msg/s from the moment it answered
 * ready to the last delivery, counting only what arrived after that moment (the dispatcher starts
 * a few milliseconds before its readiness answer, so no earlier send goes uncounted).
 */
async function drain(
  db: string,
  env: Record<string, string>,
  sink: Sink,
  n: number,
): Promise<{ rate: number; seconds: number; beforeReady: number }> {
  const worker = await startGateway(db, { MAILGATE_ROLE: 'worker', ...env });
  try {
    const started = Date.now();
    const beforeReady = sink.distinct;
    // A body the SendGrid sink refuses (its schema) is never delivered: stop at once, not at the deadline.
    await poll(async () => sink.distinct >= n || sink.invalid > 0, 600_000, `${n} deliveries`, 10);
    if (sink.invalid > 0) {
      throw new Error(`the sink refused ${sink.invalid} bodies as invalid`);
    }
    const seconds = (Date.now() - started) / 1000;
    return { rate: (n - beforeReady) / seconds, seconds, beforeReady };
  } finally {
    await worker.stop();
  }
}

/**
 * One replica against a provider DELAY_MS away, one tenant whose provider allows as many
 * messages in flight as the dispatcher (DISPATCH_CONCURRENCY=64): custom SMTP into a sink that
 * holds each DATA reply, and SendGrid's v3 API from a sink that holds each 202. The backlog is
 * accepted first by an `api` process, then one `worker` process (the replica measured) sends it:
 * what is measured is dispatch against a distant provider, not the accept (the delivery and
 * accept scenarios measure that), nor one process doing both on two shared cores.
 */
export async function latency(server: BenchDatabaseServer): Promise<LatencyResult> {
  const inFlight = 64;
  // Quick: 3,000, not fewer: the first wave's connection set-up (about 0.4 s) would weigh so much
  // that the quick ratio reads well below the full one (0.81 at 1,500; 0.85-0.86 at 3,000; 0.88).
  const n = Number(process.env.BENCH_LATENCY_MESSAGES ?? (QUICK ? 3_000 : 6_000));
  const smtpSink = await startSink({ delayMs: DELAY_MS });
  const sendGridSink = await startSink({ kind: 'sendgrid', delayMs: DELAY_MS });
  const db = await server.createDatabase();
  const workerEnv = {
    DISPATCH_CONCURRENCY: String(inFlight),
    // One tenant may take every slot of the replica here (i14's per-tenant share).
    DISPATCH_TENANT_CONCURRENCY: String(inFlight),
    SENDGRID_API_URL: `http://127.0.0.1:${sendGridSink.port}`,
  };
  const api = await startGateway(db, {
    MAILGATE_ROLE: 'api',
    SENDGRID_API_URL: workerEnv.SENDGRID_API_URL,
  });
  const concurrency = { maxConnections: inFlight };
  const limit = inFlight / (DELAY_MS / 1000);
  const run = async (name: string, token: string, sink: Sink): Promise<number> => {
    await sink.reset();
    await acceptBatches(api.url, token, n);
    const { rate, seconds, beforeReady } = await drain(db, workerEnv, sink, n);
    log(
      `latency, ${name} ${DELAY_MS} ms away, ${inFlight} in flight: ${n - beforeReady} in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} msg/s (limit ${limit.toFixed(0)}; ${beforeReady} before ready; ${sink.duplicates} repeats)`,
    );
    return rate;
  };
  try {
    const smtpToken = await setupTenant(api.url, smtpSink.port, {
      tenant: 'bench-smtp',
      concurrency,
    });
    const smtp = await run('custom SMTP', smtpToken, smtpSink);
    const sendGridToken = await setupTenant(api.url, 0, {
      tenant: 'bench-sendgrid',
      provider: 'sendgrid',
      concurrency,
    });
    const sendGrid = await run('SendGrid API', sendGridToken, sendGridSink);
    return { inFlight, limit, smtp, sendGrid };
  } finally {
    await api.stop();
    await Promise.all([smtpSink.close(), sendGridSink.close()]);
  }
}

/** What one database did during a run, from pg_stat_database and the WAL position. */
interface DbCounters {
  commits: number;
  walBytes: bigint;
}

async function dbCounters(url: string): Promise<DbCounters> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ commits: string; lsn: string }>(
      `SELECT xact_commit::text AS commits, pg_current_wal_lsn()::text AS lsn
         FROM pg_stat_database WHERE datname = current_database()`,
    );
    const [high, low] = rows[0].lsn.split('/');
    return {
      commits: Number(rows[0].commits),
      walBytes: (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`),
    };
  } finally {
    await client.end();
  }
}

export interface ReplicaRun {
  replicas: number;
  messages: number;
  rate: number;
  limit: number;
  duplicates: number;
  lost: number;
  /** Transactions committed in this database per message (pg_stat_database; lags ~0.5 s). */
  commitsPerMessage: number;
  /** Cluster-wide WAL per message, accept (batch) and delivery: includes whatever else the server wrote meanwhile. */
  walBytesPerMessage: number;
  walBytesPerAccept: number;
  /** CPU seconds per second of the run: gateway processes (sum) and the whole machine. */
  workerCpu: number;
  loadAverage: number;
}

/** CPU time (user + system, seconds) a process has used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * 1, 2 and 4 worker processes (MAILGATE_ROLE=worker, DISPATCH_CONCURRENCY=8 each) plus one `api`
 * process on one database, against an SMTP sink DELAY_MS away; each run accepts replicas × M
 * messages so every run lasts about as long. Counted by Message-ID at the sink: repeats
 * (duplicates) and messages that never arrived (lost).
 */
export async function replicas(server: BenchDatabaseServer): Promise<ReplicaRun[]> {
  const perReplica = Number(process.env.BENCH_REPLICA_MESSAGES ?? (QUICK ? 300 : 1_600));
  const concurrency = 8;
  const sink = await startSink({ delayMs: DELAY_MS });
  const db = await server.createDatabase();
  const api = await startGateway(db, { MAILGATE_ROLE: 'api' });
  const runs: ReplicaRun[] = [];
  try {
    const token = await setupTenant(api.url, sink.port, {
      concurrency: { maxConnections: concurrency },
    });
    for (const count of [1, 2, 4]) {
      const workers: Gateway[] = [];
      try {
        for (let i = 0; i < count; i += 1) {
          workers.push(
            await startGateway(db, {
              MAILGATE_ROLE: 'worker',
              DISPATCH_CONCURRENCY: String(concurrency),
              DISPATCH_TENANT_CONCURRENCY: String(concurrency),
            }),
          );
        }
        const n = count * perReplica;
        const before = await dbCounters(db);
        const pids = [api, ...workers].map((g) => g.child.pid!);
        const cpuBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
        let accepted = before;
        const { rate, seconds } = await deliver(api.url, token, sink, n, async () => {
          accepted = await dbCounters(db);
        });
        const cpu = (pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - cpuBefore) / seconds;
        // Stop the workers first (drain, leases released): a repeat would have arrived by then.
        await Promise.all(workers.splice(0).map((w) => w.stop()));
        const after = await dbCounters(db);
        const run: ReplicaRun = {
          replicas: count,
          messages: n,
          rate,
          limit: (count * concurrency) / (DELAY_MS / 1000),
          duplicates: sink.duplicates,
          lost: n - sink.distinct,
          commitsPerMessage: (after.commits - before.commits) / n,
          walBytesPerMessage: Number(after.walBytes - before.walBytes) / n,
          walBytesPerAccept: Number(accepted.walBytes - before.walBytes) / n,
          workerCpu: cpu,
          loadAverage: loadavg()[0],
        };
        runs.push(run);
        log(
          `replicas=${count}: ${n} in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} msg/s (limit ${run.limit}), ${run.duplicates} duplicates, ${run.lost} lost; gateway CPU ${cpu.toFixed(2)} cores, load ${run.loadAverage.toFixed(2)}; ${run.commitsPerMessage.toFixed(2)} commits and ${run.walBytesPerMessage.toFixed(0)} WAL bytes per message (${run.walBytesPerAccept.toFixed(0)} of them by the batch accept)`,
        );
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
    return runs;
  } finally {
    await api.stop();
    await sink.close();
  }
}
