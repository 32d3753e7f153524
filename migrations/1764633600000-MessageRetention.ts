import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Statuses after which a message is never sent again: 'sent' and 'failed', and the outcomes of
 * issue 16 (delivered, bounced, complained, suppressed). Listed here once, in the trigger.
 */
const FINAL = `('sent', 'failed', 'delivered', 'bounced', 'complained', 'suppressed')`;

/**
 * Message data lifecycle (issue 23): when a message became final (`finished_at`, set by a trigger
 * whatever statement finalises it), when its content was purged, and sensitive messages whose
 * sealed content the same trigger removes the moment they are final.
 */
export class MessageRetention1764633600000 implements MigrationInterface {
  name = 'MessageRetention1764633600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE email_messages
        ADD COLUMN finished_at        timestamptz,
        ADD COLUMN content_purged_at  timestamptz,
        ADD COLUMN sensitive          boolean NOT NULL DEFAULT false`);
    // Rows final before this migration: their best known end.
    await q.query(
      `UPDATE email_messages SET finished_at = coalesce(sent_at, updated_at) WHERE status IN ${FINAL}`,
    );

    // BEFORE triggers rather than every finalising UPDATE setting the columns itself: the
    // dispatcher's statements (markSent's group commit, markAttemptFailed, suppressions, events)
    // change often, and one forgotten column would keep a code at rest or a row forever.
    await q.query(`
      CREATE FUNCTION email_messages_finish() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IN ${FINAL} THEN
          -- The first final status counts (sent -> delivered keeps the time it was sent).
          IF TG_OP = 'UPDATE' AND OLD.status IN ${FINAL} THEN
            NEW.finished_at := coalesce(OLD.finished_at, now());
          ELSE
            NEW.finished_at := now();
          END IF;
          -- A sensitive message's content served its purpose: gone in the finalising statement.
          IF NEW.sensitive AND NEW.content_purged_at IS NULL THEN
            NEW.payload := NEW.payload - 'sealed';
            NEW.captured_mime := NULL;
            NEW.content_purged_at := now();
          END IF;
        ELSE
          -- Requeued (POST /v1/emails/:id/retry): not final any more.
          NEW.finished_at := NULL;
        END IF;
        RETURN NEW;
      END
      $$`);
    await q.query(`
      CREATE TRIGGER email_messages_finish_insert BEFORE INSERT ON email_messages
      FOR EACH ROW WHEN (NEW.status IN ${FINAL}) EXECUTE FUNCTION email_messages_finish()`);
    // Only status changes call the function: claims and other updates pay nothing.
    await q.query(`
      CREATE TRIGGER email_messages_finish_update BEFORE UPDATE ON email_messages
      FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
      EXECUTE FUNCTION email_messages_finish()`);

    // The purge worker's two scans, oldest first, each over a partial index that holds only
    // candidates: final rows whose content is still there, and final rows (to delete).
    await q.query(
      `CREATE INDEX email_messages_content_expiry_idx ON email_messages (finished_at)
       WHERE finished_at IS NOT NULL AND content_purged_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX email_messages_row_expiry_idx ON email_messages (finished_at)
       WHERE finished_at IS NOT NULL`,
    );
    // Sensitive messages still holding sealed content (the start-up key check samples them).
    await q.query(
      `CREATE INDEX email_messages_sealed_idx ON email_messages (created_at)
       WHERE sensitive AND content_purged_at IS NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX email_messages_sealed_idx`);
    await q.query(`DROP INDEX email_messages_row_expiry_idx`);
    await q.query(`DROP INDEX email_messages_content_expiry_idx`);
    await q.query(`DROP TRIGGER email_messages_finish_update ON email_messages`);
    await q.query(`DROP TRIGGER email_messages_finish_insert ON email_messages`);
    await q.query(`DROP FUNCTION email_messages_finish()`);
    await q.query(`
      ALTER TABLE email_messages
        DROP COLUMN sensitive,
        DROP COLUMN content_purged_at,
        DROP COLUMN finished_at`);
  }
}
