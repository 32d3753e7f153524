import { Injectable } from '@nestjs/common';
import { Database, type Connection } from '../config/database';

/** Arbitrary but fixed, beside MIGRATION_LOCK_ID: one purge at a time across replicas. */
const PURGE_LOCK_ID = 7_305_114_023;

/**
 * Each batch is its own short transaction: a statement that runs longer is cancelled rather than
 * hold back vacuum, and a row lock it would have to wait for ends the batch instead (the rows
 * it selects are final, so only a retry or an event writer could hold one, briefly).
 */
const STATEMENT_TIMEOUT_MS = 5_000;
const LOCK_TIMEOUT_MS = 100;

interface DeletedMessages {
  messages: number;
  attempts: number;
}

/** A pooled connection holding the purge lock; release() unlocks and returns it to the pool. */
export class PurgeSession {
  constructor(private readonly connection: Connection) {}

  private async batch<T>(text: string, values: unknown[]): Promise<T[]> {
    await this.connection.query(
      `BEGIN; SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}; SET LOCAL lock_timeout = ${LOCK_TIMEOUT_MS}`,
    );
    try {
      const rows = await this.connection.query<T>(text, values);
      await this.connection.query('COMMIT');
      return rows;
    } catch (error) {
      await this.connection.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Blanks the content of up to `limit` messages final for longer than `retentionMs`, oldest
   * first: an index range scan of email_messages_content_expiry_idx, which holds exactly the
   * final rows that still have content. Envelope, subject, tags and metadata stay.
   */
  async purgeContent(retentionMs: number, limit: number): Promise<number> {
    const rows = await this.batch<{ id: string }>(
      `WITH due AS (
         SELECT id FROM email_messages
         WHERE finished_at IS NOT NULL AND content_purged_at IS NULL
           AND finished_at < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY finished_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE email_messages m
       SET payload = m.payload - 'text' - 'html' - 'attachments' - 'headers' - 'sealed',
           captured_mime = NULL, content_purged_at = now()
       FROM due WHERE m.id = due.id
       RETURNING m.id`,
      [retentionMs, limit],
    );
    return rows.length;
  }

  /**
   * Deletes up to `limit` messages final for longer than `retentionMs`, oldest first
   * (email_messages_row_expiry_idx), with their attempts; tables that reference a message
   * (events) follow by ON DELETE CASCADE. Webhook deliveries keep their own payload and no
   * foreign key to the message: deleteWebhookDeliveries expires them on their own clock.
   */
  async deleteMessages(retentionMs: number, limit: number): Promise<DeletedMessages> {
    const rows = await this.batch<DeletedMessages>(
      `WITH due AS (
         SELECT id FROM email_messages
         WHERE finished_at IS NOT NULL
           AND finished_at < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY finished_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ), attempts AS (
         DELETE FROM email_attempts a USING due WHERE a.message_id = due.id RETURNING 1
       ), messages AS (
         DELETE FROM email_messages m USING due WHERE m.id = due.id RETURNING 1
       )
       SELECT (SELECT count(*) FROM messages)::int AS messages,
              (SELECT count(*) FROM attempts)::int AS attempts`,
      [retentionMs, limit],
    );
    return rows[0] ?? { messages: 0, attempts: 0 };
  }

  /**
   * Deletes up to `limit` webhook deliveries delivered or failed longer than `retentionMs` ago,
   * oldest first (webhook_deliveries_expiry_idx). Pending and delivering ones are never
   * selected; a retry that turns a failed one pending again holds its row lock or commits first.
   */
  async deleteWebhookDeliveries(retentionMs: number, limit: number): Promise<number> {
    const rows = await this.batch<{ id: string }>(
      `WITH due AS (
         SELECT tenant_id, id FROM webhook_deliveries
         WHERE status IN ('delivered', 'failed')
           AND coalesce(last_attempt_at, created_at)
               < now() - make_interval(secs => $1::double precision / 1000)
         ORDER BY coalesce(last_attempt_at, created_at)
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       DELETE FROM webhook_deliveries d USING due
       WHERE d.tenant_id = due.tenant_id AND d.id = due.id
       RETURNING d.id`,
      [retentionMs, limit],
    );
    return rows.length;
  }

  async release(): Promise<void> {
    try {
      await this.connection.query('SELECT pg_advisory_unlock($1)', [PURGE_LOCK_ID]);
      this.connection.release();
    } catch (error) {
      // A broken connection: the server dropped the lock with the session.
      this.connection.release(error as Error);
    }
  }
}

@Injectable()
export class PurgeRepository {
  constructor(private readonly db: Database) {}

  /** The purge lock on a connection of its own, or null while another replica purges. */
  async lock(): Promise<PurgeSession | null> {
    const connection = await this.db.connect();
    try {
      const rows = await connection.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS locked',
        [PURGE_LOCK_ID],
      );
      if (rows[0]?.locked === true) {
        return new PurgeSession(connection);
      }
      connection.release();
      return null;
    } catch (error) {
      connection.release(error as Error);
      throw error;
    }
  }
}
