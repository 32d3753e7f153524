import { Client } from 'pg';
import { json, log, QUICK, ROOT_KEY, startGateway, type BenchDatabaseServer } from './support';

/** Messages of the one tenant the overview is asked about (issue 19: 1,000,000). */
const MESSAGES = Number(process.env.BENCH_STATS_MESSAGES ?? (QUICK ? 100_000 : 1_000_000));
const TENANT = 'bench-stats';
const ROUNDS = 20;

export interface StatsFigures {
  messages: number;
  seedS: number;
  /** Median and max of GET /v1/stats, warm (after the first call). */
  hour: { p50: number; max: number; first: number };
  day: { p50: number; max: number; first: number };
  explain: string;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(url: string, token: string): Promise<{ ms: number; body: string }> {
  const started = process.hrtime.bigint();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.status !== 200) {
    throw new Error(`GET ${url} answered ${res.status}: ${body.slice(0, 300)}`);
  }
  return { ms, body };
}

/**
 * GET /v1/stats against a tenant with MESSAGES messages sent over the last 24 h (90 % sent, 5 %
 * failed, 5 % queued; an accepted and a final event each), as the console asks it every 10 s.
 */
export async function statsScenario(server: BenchDatabaseServer): Promise<StatsFigures> {
  const db = await server.createDatabase();
  const gateway = await startGateway(db, { MAILGATE_ROLE: 'api' });
  const client = new Client({ connectionString: db });
  await client.connect();
  try {
    const key = await json(
      `${gateway.url}/v1/api-keys`,
      'POST',
      { name: 'bench', scopes: ['email:read'] },
      { authorization: `Bearer ${ROOT_KEY}`, 'x-authing-userpool-id': TENANT },
    );
    const token = key.data.token as string;
    log(`stats: seeding ${MESSAGES} messages and their events over 24 h`);
    const seedStart = Date.now();
    await client.query(
      `INSERT INTO email_messages (id, tenant_id, status, payload, size_bytes, created_at, updated_at, sent_at)
       SELECT gen_random_uuid(), $1,
              CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 20 = 1 THEN 'queued' ELSE 'sent' END,
              '{"to":[{"email":"a@example.test"}],"subject":"s","text":"t"}', 60,
              now() - (i * interval '86400 seconds' / $2) - interval '300 ms',
              now() - (i * interval '86400 seconds' / $2),
              CASE WHEN i % 20 > 1 THEN now() - (i * interval '86400 seconds' / $2) END
         FROM generate_series(1, $2) AS i`,
      [TENANT, MESSAGES],
    );
    await client.query(
      `INSERT INTO email_events (tenant_id, message_id, type, occurred_at, created_at, source, data)
       SELECT tenant_id, id, 'accepted', created_at, created_at, 'mailgate', NULL
         FROM email_messages WHERE tenant_id = $1
       UNION ALL
       SELECT tenant_id, id, CASE status WHEN 'sent' THEN 'sent' ELSE 'failed' END, updated_at, updated_at,
              'mailgate', CASE WHEN status = 'failed' THEN '{"errorClass":"transient","code":"ETIMEDOUT"}'::jsonb END
         FROM email_messages WHERE tenant_id = $1 AND status <> 'queued'`,
      [TENANT],
    );
    await client.query('VACUUM ANALYZE email_messages');
    await client.query('VACUUM ANALYZE email_events');
    const seedS = (Date.now() - seedStart) / 1000;
    log(`stats: seeded in ${seedS.toFixed(0)} s`);

    const measure = async (window: string): Promise<StatsFigures['hour']> => {
      const url = `${gateway.url}/v1/stats?window=${window}`;
      const first = (await timed(url, token)).ms;
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        times.push((await timed(url, token)).ms);
      }
      return {
        first: Math.round(first),
        p50: Math.round(median(times)),
        max: Math.round(Math.max(...times)),
      };
    };
    const hour = await measure('1h');
    const day = await measure('24h');

    // The plans of the two reads that grow with traffic (EXPLAIN in bench/README.md).
    const explain: string[] = [];
    for (const sql of [
      `SELECT date_bin('1 minute', e.created_at, now() - interval '1 hour') AS at, count(*) FILTER (WHERE e.type = 'sent')
         FROM email_events e WHERE e.tenant_id = $1 AND e.created_at >= now() - interval '1 hour'
          AND e.type IN ('sent', 'deferred', 'failed', 'bounced') GROUP BY 1`,
      `SELECT count(*) FROM (SELECT 1 FROM email_messages WHERE tenant_id = $1 AND status = 'queued' LIMIT 10000) q`,
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM (SELECT extract(epoch FROM sent_at - created_at) * 1000 AS ms
         FROM email_messages WHERE tenant_id = $1 AND sent_at IS NOT NULL AND sent_at >= now() - interval '1 hour'
        ORDER BY sent_at DESC LIMIT 2000) s`,
    ]) {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`,
        [TENANT],
      );
      explain.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    return { messages: MESSAGES, seedS, hour, day, explain: explain.join('\n\n') };
  } finally {
    await client.end();
    await gateway.stop();
  }
}
