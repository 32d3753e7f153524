import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';
import type { RecipientRecord } from '../events/email-event-type.enum';
import type { StoredPayload } from './content-sealer';
import type { DeliveryErrorClass } from '../transports/delivery-error';
import type { StoredError } from './email-dispatch.repository';
import type { EmailStatus } from './email-status.enum';
import type { StoredFallbackReason } from './fallback-reason';

export interface MessageRow {
  id: string;
  tenant_id: string;
  status: EmailStatus;
  idempotency_key: string | null;
  payload: StoredPayload;
  tags: string[] | null;
  metadata: Record<string, unknown> | null;
  size_bytes: number;
  attempts: number;
  next_attempt_at: Date;
  locked_until: Date | null;
  transport: string | null;
  fallback_reason: StoredFallbackReason | null;
  provider_message_id: string | null;
  provider_config_version: number | null;
  last_error: StoredError | null;
  captured_mime?: string | null;
  created_at: Date;
  /** created_at with PostgreSQL's microseconds (a JS Date keeps only milliseconds): the list cursor. */
  created_cursor: string;
  updated_at: Date;
  sent_at: Date | null;
  /** Each recipient's state once attempted; null before the first attempt (all pending). */
  recipients: Record<string, RecipientRecord> | null;
  /** When the message became final (sent, failed, …); the retention clock. */
  finished_at: Date | null;
  /** When its content (bodies, attachments, headers, MIME) was removed. */
  content_purged_at: Date | null;
  sensitive: boolean;
}

export interface AttemptRow {
  attempt_no: number;
  transport: string | null;
  outcome: 'sent' | 'retry' | 'failed' | 'deferred';
  /** Why a `deferred` attempt waited (`rate_limit`); null otherwise. */
  reason: string | null;
  error_class: DeliveryErrorClass | null;
  error_code: string | null;
  error_status: number | null;
  error_message: string | null;
  provider_message_id: string | null;
  started_at: Date;
  finished_at: Date;
  duration_ms: number;
}

const SUMMARY_COLUMNS = `id, tenant_id, status, idempotency_key, payload, tags, metadata, size_bytes, attempts,
  next_attempt_at, locked_until, transport, fallback_reason, provider_message_id,
  provider_config_version, last_error,
  created_at, updated_at, sent_at, finished_at, content_purged_at, sensitive, recipients,
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_cursor`;

/** The API's reads of messages and their attempts. */
@Injectable()
export class EmailReadsRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: string, id: string, withMime = false): Promise<MessageRow | null> {
    const rows: MessageRow[] = await this.db.query(
      `SELECT ${SUMMARY_COLUMNS}${withMime ? ', captured_mime' : ''}
       FROM email_messages WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0] ?? null;
  }

  async statusOf(tenantId: string, id: string): Promise<EmailStatus | null> {
    const rows: Array<{ status: EmailStatus }> = await this.db.query(
      `SELECT status FROM email_messages WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0]?.status ?? null;
  }

  async attemptsOf(messageId: string): Promise<AttemptRow[]> {
    return this.db.query(
      `SELECT attempt_no, transport, outcome, reason, error_class, error_code, error_status, error_message,
              provider_message_id, started_at, finished_at, duration_ms
       FROM email_attempts WHERE message_id = $1 ORDER BY id`,
      [messageId],
    );
  }

  /** Keyset pagination, newest first: the cursor is the last row's (created_at, id). */
  async list(
    tenantId: string,
    options: { status?: EmailStatus; after?: { createdAt: string; id: string }; limit: number },
  ): Promise<MessageRow[]> {
    const params: unknown[] = [tenantId];
    const where = ['tenant_id = $1'];
    if (options.status !== undefined) {
      params.push(options.status);
      where.push(`status = $${params.length}`);
    }
    if (options.after !== undefined) {
      params.push(options.after.createdAt, options.after.id);
      where.push(
        `(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`,
      );
    }
    params.push(options.limit);
    return this.db.query(
      `SELECT ${SUMMARY_COLUMNS} FROM email_messages WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
  }
}
