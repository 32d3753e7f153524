import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';
import { QUEUE_STATS_TIMEOUT_MS } from './metrics.constants';

export interface QueueStats {
  queued: number;
  sending: number;
  /** Seconds since the oldest queued message was accepted; 0 when none is queued. */
  oldestQueuedAgeSeconds: number;
  /** Seconds the longest-waiting due message is past its next_attempt_at; 0 when none is due. */
  dueLagSeconds: number;
  /** Enabled providers' circuits (all tenants) by provider type and state; absent pairs are 0. */
  circuits: Array<{ providerType: string; state: string; count: number }>;
}

/**
 * The outbox's shape at scrape time. Every subquery is served by the partial indexes on
 * queued/sending rows (email_messages_due_idx, _lease_idx), so the cost follows the backlog, not
 * the table; sent and failed rows are counted by counters instead.
 */
const QUEUE_STATS_SQL = `
  SELECT
    (SELECT count(*) FROM email_messages WHERE status = 'queued')::int AS queued,
    (SELECT count(*) FROM email_messages WHERE status = 'sending')::int AS sending,
    coalesce((SELECT extract(epoch FROM now() - min(created_at))
              FROM email_messages WHERE status = 'queued'), 0)::float8 AS oldest_age,
    coalesce((SELECT extract(epoch FROM now() - min(next_attempt_at))
              FROM email_messages WHERE status = 'queued' AND next_attempt_at <= now()), 0)::float8 AS due_lag,
    -- One row per tenant config: a circuit counts for the config version it belongs to.
    (SELECT coalesce(json_agg(x), '[]'::json) FROM (
       SELECT c.type AS "providerType",
              CASE WHEN h.config_version = c.version THEN h.state ELSE 'closed' END AS state,
              count(*)::int AS count
       FROM email_provider_configs c
       LEFT JOIN provider_health h ON h.tenant_id = c.tenant_id
       WHERE c.enabled GROUP BY 1, 2) x) AS circuits`;

@Injectable()
export class QueueStatsRepository {
  constructor(private readonly db: Database) {}

  async read(): Promise<QueueStats> {
    return this.db.transaction(async (tx) => {
      // SET LOCAL: the server gives up on a slow read instead of piling up scrapes behind it.
      await tx.query(`SET LOCAL statement_timeout = ${QUEUE_STATS_TIMEOUT_MS}`);
      const rows = await tx.query<{
        queued: number;
        sending: number;
        oldest_age: number;
        due_lag: number;
        circuits: QueueStats['circuits'];
      }>(QUEUE_STATS_SQL);
      const row = rows[0];
      return {
        queued: row.queued,
        sending: row.sending,
        oldestQueuedAgeSeconds: Math.max(0, row.oldest_age),
        dueLagSeconds: Math.max(0, row.due_lag),
        circuits: row.circuits,
      };
    });
  }
}
