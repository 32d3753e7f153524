import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { Database } from '../config/database';
import type { RecipientRecord } from '../events/email-event-type.enum';
import type { DeliveryErrorClass } from '../transports/delivery-error';
import type { StoredPayload } from './content-sealer';
import { GROUP_COMMIT_MAX_BYTES, GROUP_COMMIT_MAX_ROWS, OUTBOX_CHANNEL } from './emails.constants';
import type { Outcome } from './recipient-outcomes';
import type { ClaimCircuit } from './scheduling/circuit-breaker';
import type { TenantClaimLimits } from './scheduling/tenant-slots';

/**
 * markSent's group commit: one statement at a time. Sends finish every millisecond or two, so a
 * second statement in flight mostly carried one row: 1,371 statements per 2,000 messages with 2,
 * 890 with 1, and the dispatch phase 8 % faster (bench/README, "Bookkeeping one statement at a time").
 */
const MARK_SENT_IN_FLIGHT = 1;

export interface StoredError {
  class: DeliveryErrorClass;
  code: string;
  status?: number;
  message: string;
}

export interface ClaimedMessage {
  id: string;
  tenantId: string;
  /** Sealed for a sensitive message: ContentSealer.open gives the content to send. */
  payload: StoredPayload;
  /** This attempt's number (1 for the first). */
  attempt: number;
  /**
   * The tenant's provider config version when the message was claimed (0: none saved), read in
   * the claim statement itself: the config in force when the message was accepted, or a newer one.
   */
  configVersion: number;
  /** The circuit of that config's provider, read in the same statement (CircuitBreaker.admit). */
  circuit: ClaimCircuit;
  /** Open after failures: when its cool-down ends. */
  circuitRetryAt: Date | null;
}

/**
 * A message's primary key. Every statement on one message names both columns: the planner then
 * knows it reaches one row even without statistics (with `id` alone it guessed hundreds and chose
 * a sequential scan once the table grew past its cached plan), and the row stays on its tenant's
 * shard (docs/scaling.md).
 */
export interface MessageKey {
  tenantId: string;
  id: string;
}

export interface AttemptRecord {
  /** Null: none could be resolved (e.g. an undecryptable secret). */
  transport: string | null;
  /** The provider config version that chose the transport (null: none saved). */
  configVersion: number | null;
  startedAt: Date;
  durationMs: number;
}

/** Tenants the claim walks per statement at most: its cost is bounded whatever the backlog. */
export const CLAIM_MAX_TENANTS_WALKED = 64;

/**
 * Circuit breaker (provider_health, README "Circuit breaker") of a walked tenant `w`, for its
 * current config: `cap` 0 while open (cooling down, a probe under way, or auth failure without
 * fallbackOnFailure), 1 when the cool-down ended (its probe), no row (no limit) when closed. Two
 * primary-key probes per tenant walked; the walk's bound keeps the statement's cost bounded.
 */
const CIRCUIT_CAP = `SELECT CASE
      WHEN h.state = 'open' AND h.reason = 'auth' THEN CASE WHEN c.fallback_on_failure THEN NULL ELSE 0 END
      WHEN h.state = 'open' THEN CASE WHEN h.retry_at <= now() THEN 1 ELSE 0 END
      WHEN h.state = 'half_open' THEN CASE WHEN h.probe_until <= now() THEN 1 ELSE 0 END
    END AS cap
    FROM provider_health h
    JOIN email_provider_configs c
      ON c.tenant_id = h.tenant_id AND c.version = h.config_version AND c.enabled
    WHERE h.tenant_id = w.tenant_id AND h.state <> 'closed'`;

/**
 * The claim statement ($1 rows at most, $2 lease ms, $3 worker id, $4 round-robin cursor,
 * $5/$6 per-tenant limits, $7 limit of other tenants, $8 tenants walked at most).
 *
 * 1. expired: leases run out (a replica died mid-send), oldest first, from email_messages_lease_idx.
 * 2. walk: the tenants that have queued rows, in tenant_id order starting after the cursor and
 *    wrapping around once: a loose index scan (one probe of email_messages_tenant_due_idx per
 *    tenant, https://wiki.postgresql.org/wiki/Loose_indexscan), pulled lazily, at most $8.
 * 3. queued: for each walked tenant, its oldest due rows up to its limit, from the same index;
 *    none while its provider's circuit is open, one when it is due for its probe (CIRCUIT_CAP).
 * The cost follows the rows claimed and tenants walked, never the backlog (bench/README.md).
 * Conditions are written as row comparisons on (tenant_id, next_attempt_at) with that order (and,
 * in `queued`, equality on tenant_id as well): only the partial index serves them in order, so the
 * planner cannot drift to an index over all rows (sent ones included) or to the global due index,
 * which read the whole backlog of a tenant (both seen, with and without statistics).
 */
export const CLAIM_STATEMENT = `WITH RECURSIVE expired AS (
    SELECT id FROM email_messages
    WHERE status = 'sending' AND locked_until < now()
    ORDER BY locked_until
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  ), walk(tenant_id, wrapped, step) AS (
    SELECT $4::text, false, 0
    UNION ALL
    SELECT nxt.tenant_id, nxt.wrapped, w.step + 1
    FROM walk w CROSS JOIN LATERAL (
      (SELECT m.tenant_id, w.wrapped AS wrapped FROM email_messages m
       WHERE m.status = 'queued'
         AND (m.tenant_id, m.next_attempt_at) > (w.tenant_id, 'infinity'::timestamptz)
       ORDER BY m.tenant_id, m.next_attempt_at LIMIT 1)
      UNION ALL
      (SELECT m.tenant_id, true FROM email_messages m
       WHERE m.status = 'queued' AND NOT w.wrapped
         AND (m.tenant_id, m.next_attempt_at) > ('', '-infinity'::timestamptz)
       ORDER BY m.tenant_id, m.next_attempt_at LIMIT 1)
      LIMIT 1
    ) nxt
    WHERE w.step < $8 AND NOT (nxt.wrapped AND nxt.tenant_id > $4::text)
  ), queued AS (
    SELECT q.id, w.step, q.next_attempt_at FROM walk w
    LEFT JOIN unnest($5::text[], $6::int[]) AS k(tenant_id, free) ON k.tenant_id = w.tenant_id
    LEFT JOIN LATERAL (${CIRCUIT_CAP}) g ON true
    CROSS JOIN LATERAL (
      SELECT m.id, m.next_attempt_at FROM email_messages m
      WHERE m.status = 'queued' AND m.tenant_id = w.tenant_id
        AND (m.tenant_id, m.next_attempt_at) <= (w.tenant_id, now())
      ORDER BY m.tenant_id, m.next_attempt_at
      LIMIT least(coalesce(k.free, $7::int), coalesce(g.cap, $7::int))
      FOR UPDATE SKIP LOCKED
    ) q
    WHERE w.step > 0 AND coalesce(g.cap, 1) > 0
    LIMIT greatest($1 - (SELECT count(*) FROM expired), 0)
  ), claimed AS (
    UPDATE email_messages m
    SET status = 'sending', attempts = m.attempts + 1, locked_by = $3,
        locked_until = now() + make_interval(secs => $2::double precision / 1000), updated_at = now()
    -- = ANY(array): primary-key probes, whatever the planner guesses of the CTEs' sizes.
    WHERE m.id = ANY (ARRAY(SELECT id FROM expired UNION ALL SELECT id FROM queued))
    RETURNING m.id, m.tenant_id, m.payload, m.attempts
  )
  -- Read-your-writes: the tenant's config version in this statement's snapshot, which includes
  -- every config change answered before the message was accepted.
  -- The circuit of that same config version (CircuitBreaker decides each message with it).
  SELECT claimed.id, claimed.tenant_id, claimed.payload, claimed.attempts, queued.step,
         (SELECT max(step) FROM walk) AS walked,
         coalesce(c.version, 0) AS config_version,
         CASE WHEN h.state IS NULL OR NOT c.enabled THEN 'closed'
              WHEN h.state = 'closed' THEN CASE WHEN h.consecutive_failures > 0 THEN 'counting' ELSE 'closed' END
              WHEN h.state = 'open' AND h.reason = 'auth' THEN 'auth'
              WHEN (h.state = 'open' AND h.retry_at <= now())
                OR (h.state = 'half_open' AND h.probe_until <= now()) THEN 'probe'
              ELSE 'open' END AS circuit,
         h.retry_at AS circuit_retry_at
  FROM claimed
  LEFT JOIN queued ON queued.id = claimed.id
  LEFT JOIN email_provider_configs c ON c.tenant_id = claimed.tenant_id
  LEFT JOIN provider_health h ON h.tenant_id = claimed.tenant_id AND h.config_version = c.version
  -- The order sends start in (SendSlots is first come, first served): expired leases first, then
  -- tenants in their round-robin turn, each tenant's rows by due time.
  ORDER BY queued.step NULLS FIRST, queued.next_attempt_at`;

/** A claimed message's recipients' states so far and its suppressed recipients' keys. */
export interface RecipientPlanRow {
  recipients: Record<string, RecipientRecord> | null;
  suppressed: string[];
}

/**
 * The events, recipients' states and suppressions of one attempt's outcome, written by the
 * statement that changes the message (CTE `m` returns id, tenant_id, events, suppress).
 */
const OUTCOME_WRITES = `ev AS (
    INSERT INTO email_events (tenant_id, message_id, recipient, type, source, data)
    SELECT m.tenant_id, m.id, x->>'recipient', x->>'type', 'mailgate', nullif(x->'data', 'null'::jsonb)
    FROM m CROSS JOIN LATERAL jsonb_array_elements(m.events) x
  ), sup AS (
    INSERT INTO suppressions (tenant_id, address, reason, source, source_message_id, detail)
    SELECT m.tenant_id, x->>'address', x->>'reason', 'smtp', m.id, x->'detail'
    FROM m CROSS JOIN LATERAL jsonb_array_elements(m.suppress) x
    ON CONFLICT (tenant_id, address) DO NOTHING
  )`;

function outcomeJson(outcome: Outcome): [string, string, string] {
  return [
    JSON.stringify(outcome.recipients),
    JSON.stringify(outcome.events),
    JSON.stringify(outcome.suppress),
  ];
}

/** A delivered message's bookkeeping, waiting for markSent's group commit. */
interface SentRow {
  key: MessageKey;
  attempt: AttemptRecord;
  result: {
    providerMessageId: string | null;
    capturedMime?: string;
    fallbackReason: string | null;
    /** Recipients' states, events and suppressions of this attempt. */
    outcome: Outcome;
    /** Some recipients were deferred (SMTP 4xx): they alone are tried again then. */
    retryAt: Date | null;
    /** The attempt's row: `sent` when any recipient was, else `retry` or `failed`. */
    attemptOutcome: 'sent' | 'retry' | 'failed';
  };
}

/** The dispatcher's outbox SQL: claims, leases and each attempt's outcome, one statement each. */
@Injectable()
export class EmailDispatchRepository {
  constructor(private readonly db: Database) {
    this.sent = new GroupCommit<SentRow>({
      write: (rows) => this.writeSent(rows),
      // Setting sent again is harmless; a lost commit's attempt row may then appear twice.
      rewrite: (row) => this.writeSent([row]),
      maxInFlight: MARK_SENT_IN_FLIGHT,
      maxItems: GROUP_COMMIT_MAX_ROWS,
      size: { max: GROUP_COMMIT_MAX_BYTES, of: (row) => row.result.capturedMime?.length ?? 0 },
    });
  }

  /** Deliveries' markSent, grouped as single accepts are. */
  private readonly sent: GroupCommit<SentRow>;

  /**
   * The claim query. Takes rows whose lease expired (a replica crashed mid-send) first, then due
   * queued rows tenant by tenant, skipping rows other replicas hold locked, and leases them to
   * this worker. The attempt counter moves here, so a message that crashes its sender still runs
   * out. Also returns each row's tenant's provider config version (read-your-writes).
   */
  async claim(
    limit: number,
    leaseMs: number,
    workerId: string,
    tenants: TenantClaimLimits,
  ): Promise<{ messages: ClaimedMessage[]; lastServed?: string; walkCut: boolean }> {
    const rows: Array<{
      id: string;
      tenant_id: string;
      payload: StoredPayload;
      attempts: number;
      config_version: number;
      step: number | null;
      walked: number | null;
      circuit: ClaimCircuit;
      circuit_retry_at: Date | null;
    }> = await this.db.prepared('mailgate_claim', CLAIM_STATEMENT, [
      limit,
      leaseMs,
      workerId,
      tenants.cursor,
      tenants.tenantIds,
      tenants.limits,
      tenants.otherwise,
      CLAIM_MAX_TENANTS_WALKED,
    ]);
    let lastServed: { step: number; tenantId: string } | undefined;
    for (const r of rows) {
      if (r.step !== null && (lastServed === undefined || r.step > lastServed.step)) {
        lastServed = { step: r.step, tenantId: r.tenant_id };
      }
    }
    return {
      messages: rows.map((r) => ({
        id: r.id,
        tenantId: r.tenant_id,
        payload: r.payload,
        attempt: r.attempts,
        configVersion: r.config_version,
        circuit: r.circuit,
        circuitRetryAt: r.circuit_retry_at,
      })),
      lastServed: lastServed?.tenantId,
      // The walk stopped at its bound: tenants past it may have due work.
      walkCut: (rows[0]?.walked ?? 0) >= CLAIM_MAX_TENANTS_WALKED,
    };
  }

  /**
   * Gives a claimed message back to the queue without spending its attempt (it never reached the
   * transport: withdrawn at its deadline, or held back by the scheduler). Fenced on the lease.
   */
  async unclaim(key: MessageKey, workerId: string, notBefore: Date): Promise<void> {
    await this.db.query(
      `UPDATE email_messages
       SET status = 'queued', attempts = greatest(attempts - 1, 0), locked_until = NULL,
           locked_by = NULL, next_attempt_at = $3, updated_at = now()
       WHERE tenant_id = $4 AND id = $1 AND status = 'sending' AND locked_by = $2`,
      [key.id, workerId, notBefore, key.tenantId],
    );
  }

  /**
   * Puts a claimed message back in the queue until `until` without spending its attempt (it never
   * reached a transport), and records a `deferred` attempt saying why. Fenced on the lease.
   */
  async defer(
    key: MessageKey,
    workerId: string,
    until: Date,
    attempt: { transport: string; reason: string; message: string },
  ): Promise<void> {
    await this.db.query(
      `WITH m AS (
         UPDATE email_messages
         SET status = 'queued', attempts = greatest(attempts - 1, 0), locked_until = NULL,
             locked_by = NULL, next_attempt_at = $3, updated_at = now()
         WHERE tenant_id = $7 AND id = $1 AND status = 'sending' AND locked_by = $2
         RETURNING tenant_id, id, attempts
       )
       INSERT INTO email_attempts (tenant_id, message_id, attempt_no, transport, outcome, reason,
                                   error_message, started_at, duration_ms)
       SELECT tenant_id, id, attempts + 1, $4, 'deferred', $5, $6, now(), 0 FROM m`,
      [key.id, workerId, until, attempt.transport, attempt.reason, attempt.message, key.tenantId],
    );
  }

  /** When the next queued message (or expired lease) becomes due, to sleep exactly until then. */
  async nextDueAt(): Promise<Date | null> {
    const rows: Array<{ due: Date | null }> = await this.db.query(
      `SELECT least(
         (SELECT min(next_attempt_at) FROM email_messages WHERE status = 'queued'),
         (SELECT min(locked_until) FROM email_messages WHERE status = 'sending')
       ) AS due`,
    );
    return rows[0]?.due ?? null;
  }

  /**
   * Marks a delivered message sent and records its attempt. Deliveries finishing while one of these
   * statements is in flight share the next one (group commit), as accepts do.
   */
  async markSent(
    key: MessageKey,
    attempt: AttemptRecord,
    result: SentRow['result'],
  ): Promise<void> {
    await this.sent.add({ key, attempt, result });
  }

  private async writeSent(rows: SentRow[]): Promise<void> {
    // Unconditional: a message that reached the provider is sent, whoever held the lease. Its
    // status derives from the recipients' states (mailgate_message_status), or is queued again
    // when some recipients were deferred. A key-list join: not prepared (Database.prepared).
    await this.db.query(
      `WITH s AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[],
                              $6::timestamptz[], $7::int[], $8::jsonb[], $9::jsonb[], $10::jsonb[],
                              $11::timestamptz[], $12::text[], $13::int[], $14::text[])
           AS s(id, transport, provider_message_id, captured_mime, fallback_reason, started_at, duration_ms,
                recipients, events, suppress, retry_at, outcome, config_version, tenant_id)
       ), m AS (
         UPDATE email_messages e
         SET status = CASE WHEN s.retry_at IS NOT NULL THEN 'queued'
                           ELSE mailgate_message_status(mailgate_merge_recipients(e.recipients, s.recipients), 'sent') END,
             recipients = mailgate_merge_recipients(e.recipients, s.recipients),
             next_attempt_at = coalesce(s.retry_at, e.next_attempt_at),
             transport = s.transport,
             provider_message_id = coalesce(s.provider_message_id, e.provider_message_id),
             captured_mime = s.captured_mime, fallback_reason = s.fallback_reason, last_error = NULL,
             provider_config_version = s.config_version,
             sent_at = now(), updated_at = now(), locked_until = NULL, locked_by = NULL
         FROM s WHERE e.tenant_id = s.tenant_id AND e.id = s.id
         RETURNING e.id, e.tenant_id, e.attempts, s.transport, s.provider_message_id, s.started_at,
                   s.duration_ms, s.events, s.suppress, s.outcome
       ), ${OUTCOME_WRITES}
       INSERT INTO email_attempts (tenant_id, message_id, attempt_no, transport, outcome, provider_message_id, started_at, duration_ms)
       SELECT tenant_id, id, attempts, transport, outcome, provider_message_id, started_at, duration_ms FROM m`,
      [
        rows.map((r) => r.key.id),
        rows.map((r) => r.attempt.transport),
        rows.map((r) => r.result.providerMessageId),
        rows.map((r) => r.result.capturedMime ?? null),
        rows.map((r) => r.result.fallbackReason),
        rows.map((r) => r.attempt.startedAt),
        rows.map((r) => r.attempt.durationMs),
        rows.map((r) => JSON.stringify(r.result.outcome.recipients)),
        rows.map((r) => JSON.stringify(r.result.outcome.events)),
        rows.map((r) => JSON.stringify(r.result.outcome.suppress)),
        rows.map((r) => r.result.retryAt),
        rows.map((r) => r.result.attemptOutcome),
        rows.map((r) => r.attempt.configVersion),
        rows.map((r) => r.key.tenantId),
      ],
    );
  }

  /**
   * For each claimed message: its recipients' states and which of its `keys` (suppression keys)
   * are suppressed, for a whole claim in one round trip before the attempts.
   */
  async recipientPlans(
    messages: Array<{ tenantId: string; id: string; keys: string[] }>,
  ): Promise<Map<string, RecipientPlanRow>> {
    // A key-list join: not prepared (Database.prepared).
    const rows: Array<RecipientPlanRow & { id: string }> = await this.db.query(
      `SELECT p.id, m.recipients,
              ARRAY(SELECT s.address FROM suppressions s
                    WHERE s.tenant_id = p.tenant_id
                      AND s.address IN (SELECT jsonb_array_elements_text(p.keys))) AS suppressed
         FROM unnest($1::text[], $2::uuid[], $3::jsonb[]) AS p(tenant_id, id, keys)
         LEFT JOIN email_messages m ON m.tenant_id = p.tenant_id AND m.id = p.id`,
      [
        messages.map((m) => m.tenantId),
        messages.map((m) => m.id),
        messages.map((m) => JSON.stringify(m.keys)),
      ],
    );
    return new Map(rows.map(({ id, ...plan }) => [id, plan]));
  }

  /**
   * Ends a claimed message that has nobody left to send to (every remaining recipient is
   * suppressed): no attempt, no connection. Fenced on the lease like a failed attempt.
   */
  async finishWithoutAttempt(key: MessageKey, workerId: string, outcome: Outcome): Promise<void> {
    const [recipients, events, suppress] = outcomeJson(outcome);
    await this.db.query(
      `WITH m AS (
         UPDATE email_messages e
         SET recipients = mailgate_merge_recipients(e.recipients, $3::jsonb),
             status = mailgate_message_status(mailgate_merge_recipients(e.recipients, $3::jsonb), 'suppressed'),
             -- The attempt never started: it does not count against the message's budget.
             attempts = greatest(e.attempts - 1, 0),
             updated_at = now(), locked_until = NULL, locked_by = NULL
         WHERE e.tenant_id = $6 AND e.id = $1 AND e.status = 'sending' AND e.locked_by = $2
         RETURNING e.id, e.tenant_id, $4::jsonb AS events, $5::jsonb AS suppress
       ), ${OUTCOME_WRITES}
       SELECT id FROM m`,
      [key.id, workerId, recipients, events, suppress, key.tenantId],
    );
  }

  /**
   * Records a failed attempt and either schedules the next one (`retryAt`) or fails the message.
   * Fenced on the lease: a worker whose lease was taken over does not overwrite the new owner.
   */
  async markAttemptFailed(
    key: MessageKey,
    workerId: string,
    attempt: AttemptRecord,
    error: StoredError,
    retryAt: Date | null,
    fallbackReason: string | null,
    outcome: Outcome,
  ): Promise<void> {
    const [recipients, events, suppress] = outcomeJson(outcome);
    await this.db.query(
      `WITH m AS (
         UPDATE email_messages e
         SET status = CASE WHEN $3::timestamptz IS NULL
                           THEN mailgate_message_status(mailgate_merge_recipients(e.recipients, $14::jsonb), 'failed')
                           ELSE 'queued' END,
             recipients = mailgate_merge_recipients(e.recipients, $14::jsonb),
             next_attempt_at = coalesce($3::timestamptz, next_attempt_at),
             last_error = $4, transport = $5, fallback_reason = $10::jsonb, updated_at = now(),
             provider_config_version = $13, locked_until = NULL, locked_by = NULL
         WHERE tenant_id = $17 AND id = $1 AND status = 'sending' AND locked_by = $2
         RETURNING e.id, e.tenant_id, e.attempts, $15::jsonb AS events, $16::jsonb AS suppress
       ), ${OUTCOME_WRITES}
       INSERT INTO email_attempts (tenant_id, message_id, attempt_no, transport, outcome, error_class,
                                   error_code, error_status, error_message, started_at, duration_ms)
       SELECT tenant_id, id, attempts, $5, CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'retry' END,
              $6, $7, $8, $9, $11, $12 FROM m`,
      [
        key.id,
        workerId,
        retryAt,
        error,
        attempt.transport,
        error.class,
        error.code,
        error.status ?? null,
        error.message,
        fallbackReason,
        attempt.startedAt,
        attempt.durationMs,
        attempt.configVersion,
        recipients,
        events,
        suppress,
        key.tenantId,
      ],
    );
  }

  /** Records an attempt that did not decide the message's fate (a provider failure before a fallback). */
  async recordAttempt(
    key: MessageKey,
    attemptNo: number,
    attempt: AttemptRecord,
    error: StoredError,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO email_attempts (tenant_id, message_id, attempt_no, transport, outcome, error_class,
                                   error_code, error_status, error_message, started_at, duration_ms)
       SELECT tenant_id, id, $2, $3, 'retry', $4, $5, $6, $7, $8, $9
       FROM email_messages WHERE tenant_id = $10 AND id = $1`,
      [
        key.id,
        attemptNo,
        attempt.transport,
        error.class,
        error.code,
        error.status ?? null,
        error.message,
        attempt.startedAt,
        attempt.durationMs,
        key.tenantId,
      ],
    );
  }

  /** On shutdown: give this worker's unfinished rows back to the queue without waiting for the lease. */
  async releaseLeases(workerId: string): Promise<number> {
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH upd AS (
         UPDATE email_messages
         SET status = 'queued', attempts = greatest(attempts - 1, 0), locked_until = NULL, locked_by = NULL,
             next_attempt_at = now(), updated_at = now()
         WHERE status = 'sending' AND locked_by = $1
         RETURNING id
       )
       SELECT id, pg_notify('${OUTBOX_CHANNEL}', '') FROM upd`,
      [workerId],
    );
    return rows.length;
  }
}
