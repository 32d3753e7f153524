import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';
import { GroupCommit } from '../common/group-commit';
import { Database } from '../config/database';
import { MetricsService } from '../metrics/metrics.service';
import type { StoredEmail } from './content-sealer';
import { GROUP_COMMIT_MAX_BYTES, GROUP_COMMIT_MAX_ROWS, OUTBOX_CHANNEL } from './emails.constants';
import type { EmailStatus } from './email-status.enum';

const NOTIFY_WINDOW_MS = 5;
/** Group commit: inserts running at once (of the pool's 20). */
const GROUP_COMMIT_IN_FLIGHT = 4;

/** A row about to be inserted. */
interface NewRow {
  id: string;
  tenantId: string;
  email: StoredEmail;
  /**
   * The tenant's provider config version the accept path checked the message against, or null
   * when the message did not depend on it. The row is written only while that version is current.
   */
  configVersion: number | null;
  /** Set by the write: not stored, because the tenant's config changed since its check. */
  stale?: boolean;
}

/**
 * Queued rows of any tenants from parallel arrays ($1..$7 of insertRowsParams). A sensitive
 * message is the one whose payload holds sealed content (ContentSealer). A row checked against its
 * tenant's provider config (`config_version` not null) is written only if that version is still
 * current in this statement's snapshot: a config change answered before the statement began is
 * seen, and the row is left out for the accept path to check again (EmailsService.accept).
 */
const INSERT_MESSAGES = `INSERT INTO email_messages (id, tenant_id, status, payload, tags, metadata, size_bytes, sensitive)
  SELECT u.id, u.tenant_id, 'queued', u.payload,
         CASE WHEN u.tags IS NULL THEN NULL
              ELSE ARRAY(SELECT jsonb_array_elements_text(u.tags)) END,
         u.metadata, u.size_bytes, u.payload ? 'sealed'
  FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[], $5::jsonb[], $6::int[], $7::int[])
    AS u(id, tenant_id, payload, tags, metadata, size_bytes, config_version)
  WHERE u.config_version IS NULL
     OR u.config_version = coalesce(
          (SELECT c.version FROM email_provider_configs c WHERE c.tenant_id = u.tenant_id), 0)`;

/** The inserted rows' `accepted` events, in the same statement (`ins` returns id, tenant_id, created_at). */
const ACCEPTED_EVENTS = `INSERT INTO email_events (tenant_id, message_id, type, occurred_at, source)
  SELECT tenant_id, id, 'accepted', created_at, 'mailgate' FROM ins`;

const INSERT_ROWS = `WITH ins AS (${INSERT_MESSAGES} RETURNING id, tenant_id, created_at),
  ev AS (${ACCEPTED_EVENTS})
  SELECT id FROM ins`;

function insertRowsParams(rows: NewRow[]): unknown[] {
  return [
    rows.map((r) => r.id),
    rows.map((r) => r.tenantId),
    rows.map((r) => JSON.stringify(r.email.payload)),
    rows.map((r) => (r.email.tags === null ? null : JSON.stringify(r.email.tags))),
    rows.map((r) => (r.email.metadata === null ? null : JSON.stringify(r.email.metadata))),
    rows.map((r) => r.email.sizeBytes),
    rows.map((r) => r.configVersion),
  ];
}

/** The tenant's row is gone (deleted while its key was cached): 404, not a 500. */
async function knownTenant<T>(insert: Promise<T>): Promise<T> {
  try {
    return await insert;
  } catch (error) {
    if ((error as { code?: string }).code === '23503') {
      throw new AppException(ApiCode.NotFound, 'Unknown tenant');
    }
    throw error;
  }
}

/** The accept path's outbox SQL: new messages (and retried ones) into the queue. */
@Injectable()
export class EmailAcceptRepository {
  constructor(
    private readonly db: Database,
    metrics: MetricsService,
  ) {
    this.singles = new GroupCommit<NewRow>({
      write: (rows) => this.insertRows(rows),
      rewrite: (row) => this.insertRowAgain(row),
      maxInFlight: GROUP_COMMIT_IN_FLIGHT,
      maxItems: GROUP_COMMIT_MAX_ROWS,
      size: { max: GROUP_COMMIT_MAX_BYTES, of: (row) => row.email.sizeBytes },
    });
    metrics.observeCommitWaiting(() => this.singles.waiting);
  }

  /** Single accepts without an idempotency key, written together while others are in flight. */
  private readonly singles: GroupCommit<NewRow>;

  private notifyCooldown?: NodeJS.Timeout;
  private notifyPending = false;

  /**
   * Wakes idle dispatchers after new rows committed. NOTIFY serialises committing transactions on
   * a global lock, so at most one is sent per window: the first at once, one more at the window's
   * end if rows arrived meanwhile (bench/README.md: ~30% of the accept rate otherwise).
   */
  private notifyDispatchers(): void {
    if (this.notifyCooldown !== undefined) {
      this.notifyPending = true;
      return;
    }
    this.db.query(`SELECT pg_notify('${OUTBOX_CHANNEL}', '')`).catch(() => undefined);
    this.notifyCooldown = setTimeout(() => {
      this.notifyCooldown = undefined;
      if (this.notifyPending) {
        this.notifyPending = false;
        this.notifyDispatchers();
      }
    }, NOTIFY_WINDOW_MS);
    this.notifyCooldown.unref();
  }

  /**
   * Inserts one message (status queued) without an idempotency key: it joins the group commit
   * (concurrent accepts share one INSERT), and the dispatchers are notified after commit. `stale`:
   * not stored, because the tenant's config is no longer `configVersion` (see INSERT_MESSAGES).
   */
  async insertQueued(
    tenantId: string,
    email: StoredEmail,
    configVersion: number | null,
  ): Promise<{ id: string; stale: boolean }> {
    const row: NewRow = { id: randomUUID(), tenantId, email, configVersion };
    await knownTenant(this.singles.add(row));
    return { id: row.id, stale: row.stale === true };
  }

  /**
   * Inserts one message (status queued) under an idempotency key: a second insert of the same key
   * is a no-op and the first row is returned. The dispatchers are notified after commit.
   */
  async insertIdempotent(
    tenantId: string,
    email: StoredEmail,
    idempotency: { key: string; hash: string },
  ): Promise<{ id: string; status: EmailStatus; created: boolean; requestHash: string | null }> {
    const id = randomUUID();
    const rows: Array<{ id: string; status: EmailStatus }> = await knownTenant(
      this.db.prepared(
        'mailgate_insert_idempotent',
        `WITH ins AS (
           INSERT INTO email_messages (id, tenant_id, status, idempotency_key, request_hash, payload, tags, metadata, size_bytes, sensitive)
           VALUES ($1, $2, 'queued', $3, $4, $5, $6, $7, $8, $5::jsonb ? 'sealed')
           ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
           RETURNING id, tenant_id, status, created_at
         ), ev AS (${ACCEPTED_EVENTS})
         SELECT id, status FROM ins`,
        [
          id,
          tenantId,
          idempotency.key,
          idempotency.hash,
          email.payload,
          email.tags,
          email.metadata,
          email.sizeBytes,
        ],
      ),
    );
    if (rows.length > 0) {
      this.notifyDispatchers();
      return {
        id: rows[0].id,
        status: rows[0].status,
        created: true,
        requestHash: idempotency.hash,
      };
    }
    // The key was used before (or concurrently, and that insert committed first).
    const existing: Array<{ id: string; status: EmailStatus; request_hash: string | null }> =
      await this.db.query(
        `SELECT id, status, request_hash FROM email_messages WHERE tenant_id = $1 AND idempotency_key = $2`,
        [tenantId, idempotency.key],
      );
    return {
      id: existing[0].id,
      status: existing[0].status,
      created: false,
      requestHash: existing[0].request_hash,
    };
  }

  /** Inserts many messages of one tenant in one statement and one transaction. */
  async insertMany(tenantId: string, emails: StoredEmail[]): Promise<string[]> {
    if (emails.length === 0) {
      return [];
    }
    const rows = emails.map((email) => ({
      id: randomUUID(),
      tenantId,
      email,
      configVersion: null,
    }));
    await knownTenant(this.insertRows(rows));
    return rows.map((r) => r.id);
  }

  /**
   * One multi-row INSERT (status queued) for rows of any tenants: one round trip, one commit;
   * then the dispatchers are notified.
   */
  private async insertRows(rows: NewRow[]): Promise<void> {
    const inserted = await this.db.prepared<{ id: string }>(
      'mailgate_insert_rows',
      INSERT_ROWS,
      insertRowsParams(rows),
    );
    if (inserted.length < rows.length) {
      const stored = new Set(inserted.map((r) => r.id));
      rows.forEach((row) => (row.stale = !stored.has(row.id)));
    }
    this.notifyDispatchers();
  }

  /**
   * A single accept's row again, after its group failed. The group's COMMIT may have taken effect
   * before its connection broke: the row found stored under its own random id is written.
   */
  private async insertRowAgain(row: NewRow): Promise<void> {
    const inserted = await this.db.prepared(
      'mailgate_insert_row_again',
      `WITH ins AS (${INSERT_MESSAGES} ON CONFLICT (tenant_id, id) DO NOTHING RETURNING id, tenant_id, created_at),
       ev AS (${ACCEPTED_EVENTS})
       SELECT id FROM ins`,
      insertRowsParams([row]),
    );
    if (inserted.length === 0) {
      const stored: Array<{ tenant_id: string }> = await this.db.query(
        'SELECT tenant_id FROM email_messages WHERE id = $1',
        [row.id],
      );
      if (stored.length === 0) {
        // Not a conflict: the tenant's config changed since the row was checked.
        row.stale = true;
        return;
      }
      if (stored[0].tenant_id !== row.tenantId) {
        throw new Error(`message id ${row.id} is taken by another row`);
      }
    }
    this.notifyDispatchers();
  }

  /** Puts a failed message back in the queue with a fresh attempt budget, if it still has content. */
  async requeueFailed(
    tenantId: string,
    id: string,
  ): Promise<'requeued' | 'not_found' | 'not_failed' | 'purged'> {
    const rows: Array<{ id: string }> = await this.db.query(
      `WITH upd AS (
         UPDATE email_messages
         SET status = 'queued', attempts = 0, next_attempt_at = now(), last_error = NULL, updated_at = now(),
             -- Only the recipients that failed are tried again; sent and bounced ones keep their state.
             recipients = (SELECT jsonb_object_agg(r.key, r.value) FROM jsonb_each(recipients) r
                           WHERE r.value->>'state' NOT IN ('failed', 'deferred'))
         WHERE tenant_id = $1 AND id = $2 AND status = 'failed' AND content_purged_at IS NULL
         RETURNING id
       )
       SELECT id, pg_notify('${OUTBOX_CHANNEL}', '') FROM upd`,
      [tenantId, id],
    );
    if (rows.length > 0) {
      return 'requeued';
    }
    const current: Array<{ status: EmailStatus; purged: boolean }> = await this.db.query(
      `SELECT status, content_purged_at IS NOT NULL AS purged FROM email_messages WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    if (current.length === 0) {
      return 'not_found';
    }
    return current[0].status === 'failed' && current[0].purged ? 'purged' : 'not_failed';
  }
}
