import { Injectable } from '@nestjs/common';
import { Database, type Sql } from '../config/database';
import {
  LATENCY_SAMPLE,
  QUEUE_COUNT_CAP,
  STATS_OUTCOMES,
  STATS_STATEMENT_TIMEOUT_MS,
  TOP_ERRORS,
  type StatsOutcome,
} from './stats.constants';

export type OutcomeCounts = Record<StatsOutcome, number>;

export interface BucketRow extends OutcomeCounts {
  at: Date;
}

type RollupUnit = 'hour' | 'minute';

/** Where each rollup lives (constants, never user input, in the SQL below). */
const ROLLUPS = {
  hour: { table: 'stats_hourly', column: 'hour', step: '1 hour' },
  minute: { table: 'stats_minutely', column: 'minute', step: '1 minute' },
} as const;

interface QueueRow {
  queued: number;
  sending: number;
  oldestQueuedAt: Date | null;
}

export interface LatencyRow {
  p50Ms: number | null;
  p95Ms: number | null;
  samples: number;
}

export interface ErrorCodeRow {
  code: string;
  errorClass: string | null;
  count: number;
  exampleMessageId: string;
}

export interface TenantOverviewRow {
  tenantId: string;
  queued: number;
  oldestQueuedAt: Date | null;
  sentLastHour: number;
  failedLastHour: number;
  bouncedLastHour: number;
  /** The enabled provider's circuit breaker state; null without an enabled provider (built-in mailer). */
  circuit: 'closed' | 'open' | 'half_open' | null;
}

/** An event's error code: the transport's, else the SMTP reply code of a refused recipient. */
const ERROR_CODE_SQL = `coalesce(e.data->>'code', 'SMTP_' || (e.data->>'smtpCode'), e.type)`;

/** Counts per outcome type, filtered from events (`e`), as columns named like STATS_OUTCOMES. */
const OUTCOME_COLUMNS = STATS_OUTCOMES.map(
  (type) => `count(*) FILTER (WHERE e.type = '${type}')::int AS ${type}`,
).join(', ');
const OUTCOME_LIST = STATS_OUTCOMES.map((type) => `'${type}'`).join(', ');

/**
 * The overview's reads. Every one is served by a tenant-led index (email_events by arrival,
 * email_messages by status and by send time) and bounded by the window or a LIMIT, so the cost
 * follows the window's traffic, not the table; complete hours come from `stats_hourly`, which a
 * read fills once per hour and tenant.
 */
@Injectable()
export class StatsRepository {
  constructor(private readonly db: Database) {}

  private read<T>(work: (m: Sql) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      await m.query(`SET LOCAL statement_timeout = ${STATS_STATEMENT_TIMEOUT_MS}`);
      return work(m);
    });
  }

  /** Per-bucket counts of events that arrived in [from, to), buckets aligned on `from`. */
  async buckets(tenantId: string, from: Date, to: Date, bucketMs: number): Promise<BucketRow[]> {
    return this.read((m) =>
      m.query<BucketRow>(
        `SELECT date_bin(make_interval(secs => $4::float8 / 1000), e.created_at, $2) AS at, ${OUTCOME_COLUMNS}
           FROM email_events e
          WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.created_at < $3 AND e.type IN (${OUTCOME_LIST})
          GROUP BY 1 ORDER BY 1`,
        [tenantId, from, to, bucketMs],
      ),
    );
  }

  /**
   * Counts per complete hour or minute in [from, settledBefore), read from `stats_hourly` or
   * `stats_minutely`. A bucket missing there is rolled up from the events first, one statement
   * per bucket (each bounded by the statement timeout, however many a first read finds missing);
   * ON CONFLICT: two readers at once store it once.
   */
  async rolledUp(
    tenantId: string,
    unit: RollupUnit,
    from: Date,
    settledBefore: Date,
  ): Promise<BucketRow[]> {
    const { table, column, step } = ROLLUPS[unit];
    const missing = await this.read((m) =>
      m.query<{ at: Date }>(
        `SELECT b.at FROM generate_series($2::timestamptz, $3::timestamptz - interval '${step}', interval '${step}') AS b(at)
          WHERE NOT EXISTS (SELECT 1 FROM ${table} s WHERE s.tenant_id = $1 AND s.${column} = b.at)
            AND EXISTS (SELECT 1 FROM tenants WHERE id = $1)
          ORDER BY b.at DESC`,
        [tenantId, from, settledBefore],
      ),
    );
    for (const { at } of missing) {
      await this.read((m) =>
        m.query(
          `INSERT INTO ${table} (tenant_id, ${column}, ${STATS_OUTCOMES.join(', ')})
           SELECT $1, $2, ${OUTCOME_COLUMNS} FROM email_events e
            WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.created_at < $2::timestamptz + interval '${step}'
              AND e.type IN (${OUTCOME_LIST})
           ON CONFLICT (tenant_id, ${column}) DO NOTHING`,
          [tenantId, at],
        ),
      );
    }
    if (unit === 'minute' && missing.length > 0) {
      // Minutes are only read for the last hour: older ones go when new ones are added.
      await this.read((m) =>
        m.query(`DELETE FROM stats_minutely WHERE tenant_id = $1 AND minute < $2`, [
          tenantId,
          from,
        ]),
      );
    }
    return this.read((m) =>
      m.query<BucketRow>(
        `SELECT ${column} AS at, ${STATS_OUTCOMES.join(', ')} FROM ${table}
          WHERE tenant_id = $1 AND ${column} >= $2 AND ${column} < $3 ORDER BY ${column}`,
        [tenantId, from, settledBefore],
      ),
    );
  }

  async queue(tenantId: string): Promise<QueueRow> {
    const rows = await this.read((m) =>
      m.query<{ queued: number; sending: number; oldest: Date | null }>(
        `SELECT
             (SELECT count(*) FROM (SELECT 1 FROM email_messages
                WHERE tenant_id = $1 AND status = 'queued' LIMIT $2) q)::int AS queued,
             (SELECT count(*) FROM (SELECT 1 FROM email_messages
                WHERE tenant_id = $1 AND status = 'sending' LIMIT $2) s)::int AS sending,
             (SELECT created_at FROM email_messages WHERE tenant_id = $1 AND status = 'queued'
               ORDER BY created_at LIMIT 1) AS oldest`,
        [tenantId, QUEUE_COUNT_CAP],
      ),
    );
    return { queued: rows[0].queued, sending: rows[0].sending, oldestQueuedAt: rows[0].oldest };
  }

  /** Accept → sent of the newest sends since `from` (at most LATENCY_SAMPLE of them). */
  async latency(tenantId: string, from: Date): Promise<LatencyRow> {
    const rows = await this.read((m) =>
      m.query<{ p50: number | null; p95: number | null; n: number }>(
        `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                  percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95, count(*)::int AS n
             FROM (SELECT extract(epoch FROM sent_at - created_at) * 1000 AS ms FROM email_messages
                    WHERE tenant_id = $1 AND sent_at IS NOT NULL AND sent_at >= $2
                    ORDER BY sent_at DESC LIMIT $3) s`,
        [tenantId, from, LATENCY_SAMPLE],
      ),
    );
    const row = rows[0];
    const ms = (v: number | null): number | null => (v === null ? null : Math.round(Number(v)));
    return { p50Ms: ms(row.p50), p95Ms: ms(row.p95), samples: row.n };
  }

  /** The most frequent error codes since `from`, each with its newest message as an example. */
  async topErrors(tenantId: string, from: Date): Promise<ErrorCodeRow[]> {
    const rows = await this.read((m) =>
      m.query<{ code: string; error_class: string | null; n: number; example: string }>(
        `SELECT ${ERROR_CODE_SQL} AS code, max(e.data->>'errorClass') AS error_class,
                  count(*)::int AS n, (array_agg(e.message_id ORDER BY e.created_at DESC))[1]::text AS example
             FROM email_events e
            WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.type IN ('deferred', 'failed', 'bounced')
            GROUP BY 1 ORDER BY n DESC, code LIMIT $3`,
        [tenantId, from, TOP_ERRORS],
      ),
    );
    return rows.map((r) => ({
      code: r.code,
      errorClass: r.error_class,
      count: r.n,
      exampleMessageId: r.example,
    }));
  }

  /** Every tenant's queue and last hour (root's table): one pass over the backlog and the hour. */
  async tenants(since: Date): Promise<TenantOverviewRow[]> {
    const rows = await this.read((m) =>
      m.query<{
        tenant_id: string;
        queued: number;
        oldest: Date | null;
        sent: number;
        failed: number;
        bounced: number;
        circuit: TenantOverviewRow['circuit'];
      }>(
        `SELECT t.id AS tenant_id, coalesce(q.queued, 0)::int AS queued, q.oldest,
                coalesce(ev.sent, 0)::int AS sent, coalesce(ev.failed, 0)::int AS failed,
                coalesce(ev.bounced, 0)::int AS bounced,
                -- The enabled provider's circuit breaker, for the config version in force.
                CASE WHEN c.enabled THEN coalesce(h.state, 'closed') END AS circuit
           FROM tenants t
           LEFT JOIN email_provider_configs c ON c.tenant_id = t.id
           LEFT JOIN provider_health h ON h.tenant_id = t.id AND h.config_version = c.version
           LEFT JOIN LATERAL (
             SELECT count(*) AS queued, min(created_at) AS oldest FROM email_messages
              WHERE tenant_id = t.id AND status = 'queued') q ON true
           LEFT JOIN LATERAL (
             SELECT ${OUTCOME_COLUMNS} FROM email_events e
              WHERE e.tenant_id = t.id AND e.created_at >= $1 AND e.type IN (${OUTCOME_LIST})) ev ON true
          ORDER BY t.id`,
        [since],
      ),
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      queued: r.queued,
      oldestQueuedAt: r.oldest,
      sentLastHour: r.sent,
      failedLastHour: r.failed,
      bouncedLastHour: r.bounced,
      circuit: r.circuit,
    }));
  }
}
