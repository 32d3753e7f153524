import { Client } from 'pg';
import { pacedLoad, type PacedResult } from './paced-load';
import {
  databaseServer,
  log,
  message,
  poll,
  post,
  QUICK,
  ROOT_KEY,
  json,
  setupTenant,
  startGateway,
  startSink,
  type BenchDatabaseServer,
} from './support';

/**
 * Retention benches (issue 23), `npm run bench:retention [purge|growth]`:
 * - purge: accept latency at a steady paced rate while one replica purges 100,000 expired rows
 *   (with their attempts), against the same rate with nothing to purge;
 * - growth: the outbox's total size (heap + indexes + TOAST) over time under a steady send load
 *   with retention in minutes: flat once the purge and autovacuum keep pace.
 */

const DAY_S = 86_400;

async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function apiToken(gatewayUrl: string, tenant: string): Promise<string> {
  const root = { authorization: `Bearer ${ROOT_KEY}`, 'x-authing-userpool-id': tenant };
  const key = await json(
    `${gatewayUrl}/v1/api-keys`,
    'POST',
    { name: 'bench', scopes: ['email:send', 'email:read'] },
    root,
  );
  return key.data.token as string;
}

/** From the worker's /metrics: batches run, their mean, and the bucket every one fitted in. */
async function batchTimes(
  gatewayUrl: string,
): Promise<{ batches: number; meanMs: number; allWithinMs: number }> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const value = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const batches = value('mailgate_purge_batch_duration_seconds_count');
  const sum = value('mailgate_purge_batch_duration_seconds_sum');
  let allWithinMs = Infinity;
  for (const m of text.matchAll(
    /^mailgate_purge_batch_duration_seconds_bucket\{le="([\d.]+)"\} (\d+)$/gm,
  )) {
    if (Number(m[2]) === batches) {
      allWithinMs = Math.min(allWithinMs, Number(m[1]) * 1000);
    }
  }
  return { batches, meanMs: (sum / batches) * 1000, allWithinMs };
}

function row(r: PacedResult): string {
  return `${r.rps.toFixed(0)} rps, p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms`;
}

async function purge(server: BenchDatabaseServer): Promise<Record<string, string>> {
  const rows = QUICK ? 20_000 : 100_000;
  const rate = 150;
  const url = await server.createDatabase();
  // Accepts go to an api replica; a worker replica (dispatcher + purge) works beside it.
  const api = await startGateway(url, { MAILGATE_ROLE: 'api' });
  const worker = await startGateway(url, {
    MAILGATE_ROLE: 'worker',
    MESSAGE_PURGE_INTERVAL: '1s',
    MESSAGE_RETENTION: '90d',
  });
  try {
    const token = await apiToken(api.url, 'bench-purge');
    const expireInS = 50;
    log(`inserting ${rows} final messages (with an attempt each) that expire in ${expireInS} s`);
    await sql(url, `INSERT INTO tenants (id) VALUES ('bench-old') ON CONFLICT DO NOTHING`);
    for (let done = 0; done < rows; done += 20_000) {
      await sql(
        url,
        `WITH m AS (
           INSERT INTO email_messages (id, tenant_id, status, payload, size_bytes, sent_at)
           SELECT gen_random_uuid(), 'bench-old', 'sent',
                  jsonb_build_object('to', jsonb_build_array(jsonb_build_object('email', 'u' || i || '@example.test')),
                                     'subject', 'Sign-in code ' || i, 'text', repeat('Your code is 482913. ', 30),
                                     'html', '<p>' || repeat('Your code is 482913. ', 30) || '</p>'),
                  1200, now()
           FROM generate_series(1, $1) AS i
           RETURNING id, tenant_id
         )
         INSERT INTO email_attempts (tenant_id, message_id, attempt_no, transport, outcome, started_at, duration_ms)
         SELECT tenant_id, id, 1, 'provider:custom', 'sent', now(), 12 FROM m`,
        [Math.min(20_000, rows - done)],
      );
    }
    await sql(
      url,
      `UPDATE email_messages SET finished_at = now() - make_interval(secs => $1)
        WHERE tenant_id = 'bench-old'`,
      [90 * DAY_S - expireInS],
    );
    await sql(url, 'VACUUM ANALYZE email_messages');
    await sql(url, 'VACUUM ANALYZE email_attempts');
    await server.checkpoint();

    const left = async (): Promise<number> =>
      Number(
        (
          await sql<{ n: string }>(
            url,
            `SELECT count(*) AS n FROM email_messages WHERE tenant_id = 'bench-old'`,
          )
        )[0].n,
      );
    const body = JSON.stringify(message(1));
    const headers = { authorization: `Bearer ${token}` };
    const baseline = await pacedLoad(`${api.url}/v1/emails`, {
      rate,
      warmupS: 8,
      durationS: 10,
      body,
      headers,
    });
    log(`accepts, nothing to purge: ${row(baseline)}`);
    if ((await left()) < rows) {
      log('warning: the purge started before the baseline ended; raise expireInS');
    }

    await poll(async () => (await left()) < rows, 120_000, 'the purge to start', 250);
    const purgeStarted = Date.now();
    const during = pacedLoad(`${api.url}/v1/emails`, {
      rate,
      warmupS: 0,
      durationS: QUICK ? 5 : 15,
      body,
      headers,
    });
    const locks = sampleAcceptLockWaits(url);
    await poll(async () => (await left()) === 0, 600_000, 'the purge to finish', 250);
    const purgeS = (Date.now() - purgeStarted) / 1000;
    const lockWaits = await locks.stop();
    const duringPurge = await during;
    log(`accepts during the purge: ${row(duringPurge)}`);
    log(
      `pg_stat_activity every ${LOCK_SAMPLE_MS} ms during the purge: ${lockWaits.samples} samples, ${lockWaits.withAccept} with an accept running, ${lockWaits.acceptWaitingOnLock} with an accept waiting on a lock; running accepts by wait: ${JSON.stringify(lockWaits.acceptWaits)}`,
    );
    log(`purged ${rows} rows (and their attempts) in ${purgeS.toFixed(1)} s`);
    const times = await batchTimes(worker.url);
    log(
      `${times.batches} purge batches, mean ${times.meanMs.toFixed(1)} ms, every one within ${times.allWithinMs} ms`,
    );
    const after = await pacedLoad(`${api.url}/v1/emails`, {
      rate,
      warmupS: 0,
      durationS: 10,
      body,
      headers,
    });
    log(`accepts after the purge: ${row(after)}`);
    const duringS = QUICK ? 5 : 15;
    if (purgeS < duringS) {
      log(`note: the purge ended ${(duringS - purgeS).toFixed(1)} s before the load did`);
    }
    return {
      purge_rows: String(rows),
      purge_s: purgeS.toFixed(1),
      purge_rows_per_s: (rows / purgeS).toFixed(0),
      purge_batches: String(times.batches),
      purge_batch_mean_ms: times.meanMs.toFixed(1),
      purge_batch_max_bucket_ms: String(times.allWithinMs),
      accept_p99_ms_no_purge: String(baseline.p99),
      accept_p99_ms_during_purge: String(duringPurge.p99),
      accept_max_ms_no_purge: String(baseline.max),
      accept_max_ms_during_purge: String(duringPurge.max),
      accept_p99_ms_after_purge: String(after.p99),
      accept_lock_wait_samples: String(lockWaits.acceptWaitingOnLock),
    };
  } finally {
    await Promise.all([api.stop(), worker.stop()]);
  }
}

const LOCK_SAMPLE_MS = 20;

/**
 * Samples pg_stat_activity while the purge runs: whether an accept (the INSERT into
 * email_messages) is ever waiting on a lock, which is what a purge batch could impose on it;
 * slower accepts without such waits are CPU and I/O shared with the purge.
 */
function sampleAcceptLockWaits(url: string): {
  stop(): Promise<{
    samples: number;
    withAccept: number;
    acceptWaitingOnLock: number;
    acceptWaits: Record<string, number>;
  }>;
} {
  const counts = {
    samples: 0,
    withAccept: 0,
    acceptWaitingOnLock: 0,
    acceptWaits: {} as Record<string, number>,
  };
  let running = true;
  const loop = (async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      while (running) {
        const { rows } = await client.query<{ wait: string | null }>(
          `SELECT wait_event_type || ':' || wait_event AS wait
             FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active'
              AND pid <> pg_backend_pid() AND query LIKE '%INSERT INTO email_messages%'`,
        );
        counts.samples += 1;
        counts.withAccept += rows.length > 0 ? 1 : 0;
        counts.acceptWaitingOnLock += rows.some((r) => r.wait?.startsWith('Lock:')) ? 1 : 0;
        // What the running accepts wait on otherwise (LWLock:WALWrite, IO:WALSync…): shared resources.
        for (const { wait } of rows) {
          counts.acceptWaits[wait ?? 'CPU'] = (counts.acceptWaits[wait ?? 'CPU'] ?? 0) + 1;
        }
        await new Promise((resolve) => setTimeout(resolve, LOCK_SAMPLE_MS));
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

async function growth(server: BenchDatabaseServer): Promise<Record<string, string>> {
  // A rate the dispatcher keeps up with on a shared 2-core machine: messages must become final.
  const rate = Number(process.env.BENCH_GROWTH_RATE ?? 25);
  const contentRetention = QUICK ? '30s' : '1m';
  const rowRetention = QUICK ? '90s' : '3m';
  const durationS = QUICK ? 240 : 600;
  const sampleS = QUICK ? 20 : 30;
  const url = await server.createDatabase();
  const sink = await startSink();
  const gw = await startGateway(url, {
    MESSAGE_CONTENT_RETENTION: contentRetention,
    MESSAGE_RETENTION: rowRetention,
    MESSAGE_PURGE_INTERVAL: '10s',
  });
  try {
    const token = await setupTenant(gw.url, sink.port);
    log(
      `steady ${rate} msg/s for ${durationS} s; content kept ${contentRetention}, rows ${rowRetention}`,
    );
    const samples: string[] = [];
    // Space of purged rows is reused only after VACUUM: where autovacuum is off (test servers),
    // the bench runs it at each sample instead, as autovacuum would.
    const [{ autovacuum }] = await sql<{ autovacuum: string }>(url, 'SHOW autovacuum');
    if (autovacuum !== 'on') {
      log('autovacuum is off on this server: the bench VACUUMs the two tables at each sample');
    }
    const sample = async (t: number): Promise<void> => {
      if (autovacuum !== 'on') {
        await sql(url, 'VACUUM email_messages');
        await sql(url, 'VACUUM email_attempts');
      }
      const [s] = await sql<{ messages: string; attempts: string; n: string }>(
        url,
        `SELECT pg_total_relation_size('email_messages') AS messages,
                pg_total_relation_size('email_attempts') AS attempts,
                (SELECT count(*) FROM email_messages) AS n`,
      );
      const mb = (bytes: string): string => (Number(bytes) / 1024 / 1024).toFixed(1);
      const line = `| ${t} | ${s.n} | ${mb(s.messages)} | ${mb(s.attempts)} | ${sink.count} |`;
      samples.push(line);
      log(line);
    };
    // A steady trickle over a keep-alive agent (support.post) for minutes: every request counted.
    const body = JSON.stringify(message(1));
    const headers = { authorization: `Bearer ${token}` };
    let accepted = 0;
    let refused = 0;
    const pending = new Set<Promise<void>>();
    const load = (async (): Promise<void> => {
      const begin = Date.now();
      for (let k = 0; k < rate * durationS; k += 1) {
        await new Promise((r) =>
          setTimeout(r, Math.max(0, begin + (k * 1000) / rate - Date.now())),
        );
        const request = post(`${gw.url}/v1/emails`, body, headers).then(
          (status) => {
            if (status === 202) {
              accepted += 1;
            } else {
              refused += 1;
            }
          },
          () => {
            refused += 1;
          },
        );
        pending.add(request);
        void request.finally(() => pending.delete(request));
      }
      await Promise.all(pending);
    })();
    const started = Date.now();
    for (let t = 0; t <= durationS; t += sampleS) {
      await new Promise((r) => setTimeout(r, Math.max(0, started + t * 1000 - Date.now())));
      await sample(t);
    }
    await load;
    log(`${accepted} accepted, ${refused} refused or lost`);
    console.log('| s | rows | email_messages MB | email_attempts MB | delivered |');
    console.log('|---|---|---|---|---|');
    for (const line of samples) {
      console.log(line);
    }
    return { growth_accepted: String(accepted), growth_refused: String(refused) };
  } finally {
    await gw.stop();
    await sink.close();
  }
}

async function main(): Promise<void> {
  const scenario = process.argv[2] ?? 'all';
  const server = await databaseServer();
  const figures: Record<string, string> = {};
  try {
    if (scenario === 'all' || scenario === 'purge') {
      Object.assign(figures, await purge(server));
    }
    if (scenario === 'all' || scenario === 'growth') {
      Object.assign(figures, await growth(server));
    }
  } finally {
    await server.close();
  }
  console.log(
    Object.entries(figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
