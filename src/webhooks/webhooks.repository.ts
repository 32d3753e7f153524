import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';
import type { DeliveryStatus } from './webhook-event.enum';

export interface EndpointRow {
  tenant_id: string;
  id: string;
  url: string;
  description: string | null;
  events: string[] | null;
  secret_ciphertext: string;
  previous_secret_ciphertext: string | null;
  previous_secret_expires_at: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  tenant_id: string;
  id: string;
  endpoint_id: string;
  event_type: string;
  email_id: string | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
  /** created_at as text with microseconds, for a cursor that loses nothing. */
  created_cursor: string;
}

/** A delivery leased to this worker, with what it needs to sign and send it. */
export interface ClaimedDelivery {
  tenantId: string;
  id: string;
  endpointId: string;
  /** The payload as stored: the exact bytes signed and sent on every attempt. */
  body: string;
  attempt: number;
  url: string;
  secretCiphertext: string;
  /** The secret before the last rotation, while it still signs. */
  previousSecretCiphertext: string | null;
}

interface AttemptResult {
  startedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

export interface OutboxStats {
  pending: number;
  delivering: number;
  oldestPendingAgeSeconds: number;
}

const ENDPOINT_COLUMNS = `tenant_id, id, url, description, events, secret_ciphertext, previous_secret_ciphertext,
  previous_secret_expires_at, disabled_at, disabled_reason, failing_since, created_at, updated_at`;
const DELIVERY_COLUMNS = `tenant_id, id, endpoint_id, event_type, email_id, status, attempts, next_attempt_at,
  last_attempt_at, last_status_code, last_latency_ms, last_error, created_at, delivered_at,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_cursor`;

/** Fails what an endpoint still had waiting once it is disabled (retry through the API). */
const FAIL_WAITING_SQL = `UPDATE webhook_deliveries
  SET status = 'failed', last_error = 'endpoint disabled before delivery', locked_until = NULL, locked_by = NULL
  WHERE tenant_id = $1 AND endpoint_id = $2 AND status = 'pending'`;

/** All webhook SQL in one place; every call is one statement (one round trip). */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  async insertEndpoint(row: {
    tenantId: string;
    id: string;
    url: string;
    description: string | null;
    events: string[] | null;
    secretCiphertext: string;
  }): Promise<EndpointRow> {
    const rows = await this.db.query<EndpointRow>(
      `INSERT INTO webhook_endpoints (tenant_id, id, url, description, events, secret_ciphertext)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${ENDPOINT_COLUMNS}`,
      [row.tenantId, row.id, row.url, row.description, row.events, row.secretCiphertext],
    );
    return rows[0];
  }

  listEndpoints(tenantId: string): Promise<EndpointRow[]> {
    return this.db.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
  }

  async getEndpoint(tenantId: string, id: string): Promise<EndpointRow | null> {
    const rows = await this.db.query<EndpointRow>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  /**
   * Changes what was given (`events: null` = every event). Disabling fails the deliveries still
   * waiting (they can be retried); enabling clears the failure run that disabled it.
   */
  async updateEndpoint(
    tenantId: string,
    id: string,
    change: {
      url?: string;
      description?: string | null;
      events?: string[] | null;
      disabled?: boolean;
    },
  ): Promise<EndpointRow | null> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<EndpointRow>(
        `UPDATE webhook_endpoints SET
             url = CASE WHEN $3 THEN $4 ELSE url END,
             description = CASE WHEN $5 THEN $6 ELSE description END,
             events = CASE WHEN $7 THEN $8::text[] ELSE events END,
             disabled_at = CASE WHEN $9::boolean IS NULL THEN disabled_at
                                WHEN $9 THEN coalesce(disabled_at, now()) ELSE NULL END,
             disabled_reason = CASE WHEN $9::boolean IS NULL THEN disabled_reason
                                    WHEN $9 THEN coalesce(disabled_reason, 'disabled through the API')
                                    ELSE NULL END,
             failing_since = CASE WHEN $9 = false THEN NULL ELSE failing_since END,
             updated_at = now()
           WHERE tenant_id = $1 AND id = $2
           RETURNING ${ENDPOINT_COLUMNS}`,
        [
          tenantId,
          id,
          change.url !== undefined,
          change.url ?? null,
          change.description !== undefined,
          change.description ?? null,
          change.events !== undefined,
          change.events ?? null,
          change.disabled ?? null,
        ],
      );
      if (rows.length > 0 && change.disabled === true) {
        await tx.query(FAIL_WAITING_SQL, [tenantId, id]);
      }
      return rows[0] ?? null;
    });
  }

  async deleteEndpoint(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.db.query(
      `DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2 RETURNING id`,
      [tenantId, id],
    );
    return rows.length > 0;
  }

  /** The current secret becomes the previous one, signing alongside the new one for `overlapMs`. */
  async rotateSecret(
    tenantId: string,
    id: string,
    secretCiphertext: string,
    overlapMs: number,
  ): Promise<EndpointRow | null> {
    const rows = await this.db.query<EndpointRow>(
      `UPDATE webhook_endpoints
       SET previous_secret_ciphertext = secret_ciphertext,
           previous_secret_expires_at = now() + make_interval(secs => $4::double precision / 1000),
           secret_ciphertext = $3, updated_at = now()
       WHERE tenant_id = $1 AND id = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [tenantId, id, secretCiphertext, overlapMs],
    );
    return rows[0] ?? null;
  }

  async insertDelivery(row: {
    tenantId: string;
    id: string;
    endpointId: string;
    eventType: string;
    payload: unknown;
  }): Promise<DeliveryRow> {
    const rows = await this.db.query<DeliveryRow>(
      `INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_type, payload)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${DELIVERY_COLUMNS}`,
      [row.tenantId, row.id, row.endpointId, row.eventType, JSON.stringify(row.payload)],
    );
    return rows[0];
  }

  async getDelivery(tenantId: string, endpointId: string, id: string): Promise<DeliveryRow | null> {
    const rows = await this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
       WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3`,
      [tenantId, endpointId, id],
    );
    return rows[0] ?? null;
  }

  /** One page of an endpoint's deliveries, newest first (keyset on created_at, id). */
  listDeliveries(
    tenantId: string,
    endpointId: string,
    after: { createdAt: string; id: string } | undefined,
    limit: number,
  ): Promise<DeliveryRow[]> {
    return this.db.query<DeliveryRow>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
       WHERE tenant_id = $1 AND endpoint_id = $2
         AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
       ORDER BY created_at DESC, id DESC
       LIMIT $5`,
      [tenantId, endpointId, after?.createdAt ?? null, after?.id ?? '', limit],
    );
  }

  /**
   * Due again now. A finished delivery gets one more attempt (`attempts` set to the last step of
   * the schedule); a waiting one keeps its count. One in flight is left alone (null).
   */
  async retryDelivery(
    tenantId: string,
    endpointId: string,
    id: string,
    lastAttempt: number,
  ): Promise<DeliveryRow | null> {
    const rows = await this.db.query<DeliveryRow>(
      `UPDATE webhook_deliveries
       SET status = 'pending', next_attempt_at = now(),
           attempts = CASE WHEN status = 'pending' THEN attempts ELSE greatest($4 - 1, 0) END
       WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3 AND status <> 'delivering'
       RETURNING ${DELIVERY_COLUMNS}`,
      [tenantId, endpointId, id, lastAttempt],
    );
    return rows[0] ?? null;
  }

  /** Leases a crashed replica held: due again, the attempt it made counted. */
  async releaseExpiredLeases(): Promise<number> {
    const rows = await this.db.query(
      `UPDATE webhook_deliveries d SET status = 'pending', locked_until = NULL, locked_by = NULL,
              next_attempt_at = now()
       FROM (SELECT tenant_id, id FROM webhook_deliveries
             WHERE status = 'delivering' AND locked_until < now()
             ORDER BY locked_until LIMIT 500 FOR UPDATE SKIP LOCKED) x
       WHERE d.tenant_id = x.tenant_id AND d.id = x.id
       RETURNING d.id`,
    );
    return rows.length;
  }

  /**
   * Deliveries left waiting for an endpoint disabled meanwhile (an attempt that ended while
   * another one disabled it) fail, as FAIL_WAITING_SQL does at the moment of disabling.
   */
  async failWaitingOfDisabled(): Promise<number> {
    const rows = await this.db.query(
      `UPDATE webhook_deliveries d
       SET status = 'failed', last_error = 'endpoint disabled before delivery'
       FROM webhook_endpoints e
       WHERE e.disabled_at IS NOT NULL AND d.tenant_id = e.tenant_id AND d.endpoint_id = e.id
         AND d.status = 'pending'
       RETURNING d.id`,
    );
    return rows.length;
  }

  /** On shutdown: this worker's unfinished deliveries are due again at once (attempt not counted). */
  async releaseLeases(workerId: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET status = 'pending', locked_until = NULL, locked_by = NULL,
              attempts = greatest(attempts - 1, 0), next_attempt_at = now()
       WHERE status = 'delivering' AND locked_by = $1`,
      [workerId],
    );
  }

  /**
   * The claim, fair across endpoints. Each enabled endpoint with due work is locked (SKIP LOCKED:
   * one replica claims for it at a time, so its in-flight count is exact) and gives at most its
   * free room (WEBHOOK_ENDPOINT_CONCURRENCY minus what is in flight anywhere); then every
   * endpoint's first due delivery comes before any endpoint's second, up to `limit`.
   */
  async claim(
    limit: number,
    perEndpoint: number,
    leaseMs: number,
    workerId: string,
  ): Promise<ClaimedDelivery[]> {
    const rows = await this.db.prepared<{
      tenant_id: string;
      id: string;
      endpoint_id: string;
      body: string;
      attempts: number;
      url: string;
      secret_ciphertext: string;
      previous_secret_ciphertext: string | null;
    }>(
      'mailgate_webhook_claim',
      `WITH ep AS (
           SELECT e.tenant_id, e.id, e.url, e.secret_ciphertext,
                  CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_ciphertext END
                    AS previous_secret_ciphertext,
                  $2::int - (SELECT count(*) FROM webhook_deliveries f
                             WHERE f.tenant_id = e.tenant_id AND f.endpoint_id = e.id
                               AND f.status = 'delivering')::int AS room
           FROM webhook_endpoints e
           WHERE e.disabled_at IS NULL
             AND EXISTS (SELECT 1 FROM webhook_deliveries d
                         WHERE d.tenant_id = e.tenant_id AND d.endpoint_id = e.id
                           AND d.status = 'pending' AND d.next_attempt_at <= now())
           FOR NO KEY UPDATE OF e SKIP LOCKED
         ), candidates AS (
           SELECT c.tenant_id, c.id, c.endpoint_id, c.next_attempt_at
           FROM ep CROSS JOIN LATERAL (
             SELECT d.tenant_id, d.id, d.endpoint_id, d.next_attempt_at FROM webhook_deliveries d
             WHERE d.tenant_id = ep.tenant_id AND d.endpoint_id = ep.id
               AND d.status = 'pending' AND d.next_attempt_at <= now()
             ORDER BY d.next_attempt_at
             LIMIT greatest(ep.room, 0)
             FOR UPDATE SKIP LOCKED
           ) c
         ), chosen AS (
           SELECT tenant_id, id FROM (
             SELECT tenant_id, id, next_attempt_at,
                    row_number() OVER (PARTITION BY tenant_id, endpoint_id ORDER BY next_attempt_at) AS turn
             FROM candidates
           ) r
           ORDER BY turn, next_attempt_at
           LIMIT $1
         ), claimed AS (
           UPDATE webhook_deliveries d
           SET status = 'delivering', attempts = d.attempts + 1, locked_by = $4,
               locked_until = now() + make_interval(secs => $3::double precision / 1000)
           FROM chosen WHERE d.tenant_id = chosen.tenant_id AND d.id = chosen.id
           RETURNING d.tenant_id, d.id, d.endpoint_id, d.payload::text AS body, d.attempts
         )
         SELECT c.tenant_id, c.id, c.endpoint_id, c.body, c.attempts,
                ep.url, ep.secret_ciphertext, ep.previous_secret_ciphertext
         FROM claimed c JOIN ep ON ep.tenant_id = c.tenant_id AND ep.id = c.endpoint_id`,
      [limit, perEndpoint, leaseMs, workerId],
    );
    return rows.map((r) => ({
      tenantId: r.tenant_id,
      id: r.id,
      endpointId: r.endpoint_id,
      body: r.body,
      attempt: r.attempts,
      url: r.url,
      secretCiphertext: r.secret_ciphertext,
      previousSecretCiphertext: r.previous_secret_ciphertext,
    }));
  }

  /**
   * A 2xx: delivered, whoever holds the lease now (the receiver has it), and the endpoint's
   * failure run ends.
   */
  async markDelivered(delivery: ClaimedDelivery, result: AttemptResult): Promise<void> {
    await this.db.query(
      `WITH d AS (
         UPDATE webhook_deliveries
         SET status = 'delivered', delivered_at = now(), locked_until = NULL, locked_by = NULL,
             last_attempt_at = $3, last_status_code = $4, last_latency_ms = $5, last_error = NULL
         WHERE tenant_id = $1 AND id = $2 AND status IN ('pending', 'delivering')
         RETURNING tenant_id, endpoint_id
       )
       UPDATE webhook_endpoints e SET failing_since = NULL
       FROM d WHERE e.tenant_id = d.tenant_id AND e.id = d.endpoint_id AND e.failing_since IS NOT NULL`,
      [delivery.tenantId, delivery.id, result.startedAt, result.statusCode, result.latencyMs],
    );
  }

  /**
   * A failed attempt: due again at `retryAt`, or failed for good when null. Fenced on the lease.
   * The endpoint's failure run starts (or goes on); past `disableAfterMs` the endpoint is
   * disabled — answers true then, and what it had waiting is failed.
   */
  async markAttemptFailed(
    delivery: ClaimedDelivery,
    workerId: string,
    result: AttemptResult,
    retryAt: Date | null,
    disableAfterMs: number,
  ): Promise<boolean> {
    const rows = await this.db.query<{ disabled: boolean }>(
      `WITH d AS (
         UPDATE webhook_deliveries
         SET status = CASE WHEN $6::timestamptz IS NULL THEN 'failed'
                           WHEN EXISTS (SELECT 1 FROM webhook_endpoints e
                                        WHERE e.tenant_id = $1 AND e.id = endpoint_id
                                          AND e.disabled_at IS NOT NULL) THEN 'failed'
                           ELSE 'pending' END,
             next_attempt_at = coalesce($6::timestamptz, next_attempt_at),
             locked_until = NULL, locked_by = NULL,
             last_attempt_at = $3, last_status_code = $4, last_latency_ms = $5, last_error = $7
         WHERE tenant_id = $1 AND id = $2 AND status = 'delivering' AND locked_by = $8
         RETURNING tenant_id, endpoint_id
       )
       UPDATE webhook_endpoints e
       SET failing_since = coalesce(e.failing_since, now()),
           disabled_at = CASE WHEN e.failing_since < now() - make_interval(secs => $9::double precision / 1000)
                              THEN now() END,
           disabled_reason = CASE WHEN e.failing_since < now() - make_interval(secs => $9::double precision / 1000)
                                  THEN 'every attempt failed since ' || to_char(e.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END,
           updated_at = now()
       FROM d
       WHERE e.tenant_id = d.tenant_id AND e.id = d.endpoint_id AND e.disabled_at IS NULL
         AND (e.failing_since IS NULL
              OR e.failing_since < now() - make_interval(secs => $9::double precision / 1000))
       RETURNING e.disabled_at IS NOT NULL AS disabled`,
      [
        delivery.tenantId,
        delivery.id,
        result.startedAt,
        result.statusCode,
        result.latencyMs,
        retryAt,
        result.error,
        workerId,
        disableAfterMs,
      ],
    );
    const disabled = rows[0]?.disabled === true;
    if (disabled) {
      await this.db.query(FAIL_WAITING_SQL, [delivery.tenantId, delivery.endpointId]);
    }
    return disabled;
  }

  /** The outbox's shape, from the partial index of open deliveries. */
  async stats(): Promise<OutboxStats> {
    const rows = await this.db.query<{ pending: number; delivering: number; oldest: number }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'delivering')::int AS delivering,
              coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest
       FROM webhook_deliveries WHERE status IN ('pending', 'delivering')`,
    );
    return {
      pending: rows[0].pending,
      delivering: rows[0].delivering,
      oldestPendingAgeSeconds: Math.max(0, rows[0].oldest),
    };
  }
}
