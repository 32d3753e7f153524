import { Injectable } from '@nestjs/common';
import { Database } from '../../config/database';
import type { SendRateLimit } from '../../provider-config/send-rate-limit';

/** The longest a claimed message waits in this process for its reserved slot. */
export const RATE_WAIT_MAX_MS = 2_000;
/** Deferred to the next UTC day: spread over its first minute rather than all at midnight. */
const DAY_SPREAD_MS = 60_000;

/** Why a message may not go now, and when to try it again. */
export interface RateDeferral {
  until: Date;
  limit: 'perSecond' | 'perDay';
}

/**
 * One statement per message of a limited tenant, on the tenant's `tenant_send_rates` row (every
 * replica updates the same row, so the limit holds across replicas):
 * - per second: a reservation clock (GCRA without burst): `next_slot_at` is when the next message
 *   may start; a reservation takes max(next_slot_at, now) and moves the clock on by 1/perSecond s.
 *   It is granted only when that slot is within $4 s (the caller then waits for it in process),
 *   so no reservation is ever taken for a message that will not be sent soon.
 * - per day: `day_count` messages on the calendar `day` (UTC); a new day starts again from 1.
 * `cur` locks the row and, under READ COMMITTED, reads its latest committed version (not the
 * statement's snapshot), so the decision and the refusal's reason see what concurrent
 * reservations wrote. The clock is read after the lock (in `dec`), from PostgreSQL: one clock for
 * all replicas. `known` is false when the tenant has no row yet (RESERVE_ROW creates it).
 * Parameters: $1 tenant, $2 seconds between messages (null: no per-second limit), $3 per-day
 * limit (null: none), $4 horizon in seconds.
 */
export const RESERVE_STATEMENT = `WITH cur AS (
    SELECT next_slot_at, day, day_count FROM tenant_send_rates WHERE tenant_id = $1 FOR UPDATE
  ), now_ AS (
    SELECT cur.*, clock_timestamp() AS t FROM cur
  ), dec AS (
    SELECT t, (t AT TIME ZONE 'UTC')::date AS d, next_slot_at, greatest(next_slot_at, t) AS slot,
           ($3::int IS NOT NULL AND day = (t AT TIME ZONE 'UTC')::date AND day_count >= $3::int)
             AS day_full,
           ($2::float8 IS NOT NULL AND next_slot_at > t + make_interval(secs => $4::float8))
             AS too_far
    FROM now_
  ), upd AS (
    UPDATE tenant_send_rates r
    SET next_slot_at = dec.slot + make_interval(secs => coalesce($2::float8, 0)),
        day_count = CASE WHEN r.day = dec.d THEN r.day_count + 1 ELSE 1 END,
        day = dec.d, updated_at = dec.t
    FROM dec
    WHERE r.tenant_id = $1 AND NOT dec.day_full AND NOT dec.too_far
    RETURNING dec.slot
  )
  SELECT dec.t IS NOT NULL AS known,
    (SELECT 1000 * extract(epoch FROM (upd.slot - clock_timestamp()))::float8 FROM upd) AS wait_ms,
    (SELECT 1000 * extract(epoch FROM upd.slot)::float8 FROM upd) AS slot_ms,
    coalesce(dec.day_full, false) AS day_full,
    -- When refused: the next UTC day, or when the clock comes back within the horizon.
    1000 * extract(epoch FROM (CASE
      WHEN dec.day_full THEN (dec.d + 1)::timestamp AT TIME ZONE 'UTC'
      ELSE dec.next_slot_at - make_interval(secs => $4::float8)
    END - dec.t))::float8 AS defer_ms
  FROM (SELECT 1) one LEFT JOIN dec ON true`;

interface ReserveRow {
  known: boolean;
  wait_ms: number | null;
  /** The reserved slot (epoch ms, PostgreSQL's clock); null when refused. */
  slot_ms: number | null;
  day_full: boolean;
  defer_ms: number;
}

/** A limited tenant's first reservation: its row, with nothing reserved yet (a race is harmless). */
const RESERVE_ROW = `INSERT INTO tenant_send_rates (tenant_id, next_slot_at, day, day_count)
  VALUES ($1, clock_timestamp(), (clock_timestamp() AT TIME ZONE 'UTC')::date, 0)
  ON CONFLICT (tenant_id) DO NOTHING`;

/**
 * The per-tenant send rate (the provider config's `rateLimit` extension), enforced across all
 * replicas through PostgreSQL. Only messages of limited tenants reach it, so an unlimited tenant
 * costs no round-trip. A message within the limit waits here for its slot (at most
 * RATE_WAIT_MAX_MS); one over it is deferred: the caller puts it back in the queue without
 * spending its attempt.
 */
@Injectable()
export class SendRateGate {
  constructor(private readonly db: Database) {}

  /**
   * Resolves null when the message may be sent now (after waiting for its slot), or the deferral.
   * `startBy` is the message's start deadline: the wait never runs past half of what is left.
   */
  async admit(
    tenantId: string,
    limit: SendRateLimit,
    startBy: number,
    random = Math.random,
  ): Promise<RateDeferral | null> {
    const horizonMs = Math.max(0, Math.min(RATE_WAIT_MAX_MS, (startBy - Date.now()) / 2));
    const interval = limit.perSecond === null ? null : 1 / limit.perSecond;
    const values = [tenantId, interval, limit.perDay, horizonMs / 1000];
    let row = await this.reserve(values);
    if (!row.known) {
      await this.db.query(RESERVE_ROW, [tenantId]);
      row = await this.reserve(values);
    }
    if (row.wait_ms !== null) {
      if (row.wait_ms > 0) {
        await new Promise((resolve) => setTimeout(resolve, row.wait_ms as number));
      }
      return null;
    }
    if (row.day_full) {
      return {
        limit: 'perDay',
        until: new Date(Date.now() + row.defer_ms + Math.floor(random() * DAY_SPREAD_MS)),
      };
    }
    // Spread over one slot so the deferred messages of one claim do not come back as one herd.
    const spread = interval === null ? 0 : random() * interval * 1000;
    return {
      limit: 'perSecond',
      until: new Date(Date.now() + Math.max(0, row.defer_ms) + spread),
    };
  }

  private async reserve(values: unknown[]): Promise<ReserveRow> {
    const rows = await this.db.prepared<ReserveRow>(
      'mailgate_rate_reserve',
      RESERVE_STATEMENT,
      values,
    );
    return rows[0];
  }
}
