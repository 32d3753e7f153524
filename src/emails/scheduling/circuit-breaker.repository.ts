import { Injectable } from '@nestjs/common';
import { Database, type Sql } from '../../config/database';
import type { StoredError } from '../email-dispatch.repository';
import { OUTBOX_CHANNEL } from '../emails.constants';
import { afterFailure, type CircuitRow, type CircuitSettings } from './circuit-state';

/** One tenant's provider at one config version: the circuit's key (a newer version starts closed). */
export interface CircuitKey {
  tenantId: string;
  configVersion: number;
  providerType: string;
}

/** A state change, for logs and metrics. */
export interface CircuitTransition {
  from: CircuitRow['state'];
  to: CircuitRow['state'];
  reason: CircuitRow['reason'];
  consecutiveFailures: number;
  retryAt: Date | null;
}

/** Every column back to closed, for a success, a verify, or a newer config version. */
const CLOSED = `state = 'closed', reason = NULL, consecutive_failures = 0, trips = 0, retry_at = NULL,
  probe_message_id = NULL, probe_until = NULL, updated_at = now()`;

/**
 * provider_health writes of the circuit breaker (src/emails/scheduling/circuit-breaker.ts). Each
 * event is fenced on the config version it happened with: an older version's outcome changes
 * nothing, a newer one resets the row first. The claim statement reads the same table.
 */
@Injectable()
export class CircuitBreakerRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records a failed send through the provider (row locked while the state machine decides) and
   * answers the transition it caused, if any.
   */
  async failed(
    key: CircuitKey,
    failure: { auth: boolean; messageId: string; error: StoredError },
    settings: CircuitSettings,
  ): Promise<CircuitTransition | null> {
    return this.db.transaction(async (tx) => {
      await this.ensureRow(tx, key);
      const rows = await tx.query<{
        state: CircuitRow['state'];
        reason: CircuitRow['reason'];
        consecutive_failures: number;
        trips: number;
        probe_message_id: string | null;
      }>(
        `SELECT state, reason, consecutive_failures, trips, probe_message_id
         FROM provider_health WHERE tenant_id = $1 AND config_version = $2 FOR UPDATE`,
        [key.tenantId, key.configVersion],
      );
      if (rows.length === 0) {
        // A newer config version replaced the row: this outcome belongs to the old provider.
        return null;
      }
      const before: CircuitRow = {
        state: rows[0].state,
        reason: rows[0].reason,
        consecutiveFailures: rows[0].consecutive_failures,
        trips: rows[0].trips,
        probeMessageId: rows[0].probe_message_id,
      };
      const change = afterFailure(before, failure, settings);
      const updated = await tx.query<{ retry_at: Date | null }>(
        `UPDATE provider_health
         SET state = $3, reason = $4, consecutive_failures = $5, trips = $6, probe_message_id = $7,
             probe_until = CASE WHEN $7::uuid IS NULL THEN NULL ELSE probe_until END,
             since = CASE WHEN $8 THEN now() ELSE since END,
             retry_at = CASE WHEN $4 = 'auth' THEN NULL
                             WHEN $9::double precision IS NULL THEN retry_at
                             ELSE now() + make_interval(secs => $9::double precision / 1000) END,
             last_error = $10::jsonb, updated_at = now()
         WHERE tenant_id = $1 AND config_version = $2
         RETURNING retry_at`,
        [
          key.tenantId,
          key.configVersion,
          change.row.state,
          change.row.reason,
          change.row.consecutiveFailures,
          change.row.trips,
          change.row.probeMessageId,
          change.transition,
          change.cooldownMs,
          JSON.stringify(failure.error),
        ],
      );
      return change.transition
        ? {
            from: before.state,
            to: change.row.state,
            reason: change.row.reason,
            consecutiveFailures: change.row.consecutiveFailures,
            retryAt: updated[0]?.retry_at ?? null,
          }
        : null;
    });
  }

  /**
   * A send through the provider succeeded: the circuit closes and its count restarts. Writes only
   * when there is something to reset; answers the state it left, or null when it was closed.
   */
  async succeeded(key: CircuitKey): Promise<CircuitRow['state'] | null> {
    const rows = await this.db.query<{ before: CircuitRow['state'] }>(
      `UPDATE provider_health h
       SET ${CLOSED}, since = CASE WHEN old.state <> 'closed' THEN now() ELSE h.since END
       FROM (SELECT state FROM provider_health WHERE tenant_id = $1 AND config_version = $2 FOR UPDATE) old
       WHERE h.tenant_id = $1 AND h.config_version = $2
         AND (h.state <> 'closed' OR h.consecutive_failures > 0)
       RETURNING old.state AS before`,
      [key.tenantId, key.configVersion],
    );
    const before = rows.length === 0 || rows[0].before === 'closed' ? null : rows[0].before;
    if (before !== null) {
      // The tenant's held messages are due again: every replica's dispatcher wakes now instead of
      // at the end of its backed-off poll, so the backlog is shared as it was before the outage.
      await this.db.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`);
    }
    return before;
  }

  /**
   * Takes the one probe of a circuit whose cool-down ended (or whose last probe was abandoned):
   * a conditional update, so exactly one replica wins it. True when `messageId` is the probe.
   */
  async takeProbe(key: CircuitKey, messageId: string, leaseMs: number): Promise<boolean> {
    const rowCount = await this.db.execute(
      `UPDATE provider_health
       SET state = 'half_open', probe_message_id = $3,
           probe_until = now() + make_interval(secs => $4::double precision / 1000),
           since = now(), updated_at = now()
       WHERE tenant_id = $1 AND config_version = $2
         AND ((state = 'open' AND reason = 'failures' AND retry_at <= now())
              OR (state = 'half_open' AND probe_until <= now()))`,
      [key.tenantId, key.configVersion, messageId, leaseMs],
    );
    return rowCount === 1;
  }

  /** The probe ended without a verdict (withdrawn, or a `config` error): the next one may go now. */
  async releaseProbe(key: CircuitKey, messageId: string): Promise<void> {
    await this.db.query(
      `UPDATE provider_health
       SET state = 'open', retry_at = now(), probe_message_id = NULL, probe_until = NULL,
           updated_at = now()
       WHERE tenant_id = $1 AND config_version = $2 AND state = 'half_open' AND probe_message_id = $3`,
      [key.tenantId, key.configVersion, messageId],
    );
  }

  /** The row of this config version exists; an older version's row starts over, closed. */
  private async ensureRow(tx: Sql, key: CircuitKey): Promise<void> {
    await tx.query(
      `INSERT INTO provider_health (tenant_id, config_version, provider_type)
       VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id) DO UPDATE
       SET config_version = EXCLUDED.config_version, provider_type = EXCLUDED.provider_type,
           ${CLOSED}, since = now(), last_error = NULL
       WHERE provider_health.config_version < EXCLUDED.config_version`,
      [key.tenantId, key.configVersion, key.providerType],
    );
  }
}
