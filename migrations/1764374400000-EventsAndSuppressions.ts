import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What happens after "sent": each message's event timeline, its recipients' states, the statuses
 * derived from them, and the per-tenant suppression list. The status rule lives in one SQL
 * function so every writer (dispatcher, provider events) derives it the same way (README).
 */
export class EventsAndSuppressions1764374400000 implements MigrationInterface {
  name = 'EventsAndSuppressions1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_messages DROP CONSTRAINT email_messages_status_check`);
    await q.query(`
      ALTER TABLE email_messages ADD CONSTRAINT email_messages_status_check CHECK (status IN
        ('queued', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'failed', 'suppressed'))`);
    // {"<address>": {"state": "...", "at": "...", ...}}; NULL until the first attempt (all pending).
    await q.query(`ALTER TABLE email_messages ADD COLUMN recipients jsonb`);
    // SendGrid events carry sg_message_id, whose prefix is the X-Message-Id stored at send.
    await q.query(
      `CREATE INDEX email_messages_provider_id_idx ON email_messages (tenant_id, provider_message_id) WHERE provider_message_id IS NOT NULL`,
    );

    // A recipient's state only moves up this order, so events arriving out of order (SendGrid
    // may report delivered before processed) never undo a later outcome.
    await q.query(`
      CREATE FUNCTION mailgate_recipient_rank(state text) RETURNS integer
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE state
          WHEN 'deferred' THEN 1 WHEN 'sent' THEN 2 WHEN 'delivered' THEN 3
          WHEN 'failed' THEN 4 WHEN 'dropped' THEN 4 WHEN 'bounced' THEN 5
          WHEN 'complained' THEN 6 WHEN 'suppressed' THEN 7 ELSE 0 END
      $$`);
    await q.query(`
      CREATE FUNCTION mailgate_merge_recipients(current jsonb, changes jsonb) RETURNS jsonb
      LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(current, '{}'::jsonb) || coalesce((
          SELECT jsonb_object_agg(c.key, c.value) FROM jsonb_each(coalesce(changes, '{}'::jsonb)) c
          WHERE mailgate_recipient_rank(c.value->>'state')
                >= mailgate_recipient_rank(current->c.key->>'state')
        ), '{}'::jsonb)
      $$`);
    // The message status from its recipients' states (README "Message status"); `fallback` while
    // some recipient still waits for an attempt.
    await q.query(`
      CREATE FUNCTION mailgate_message_status(recipients jsonb, fallback text) RETURNS text
      LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE
          WHEN count(*) = 0 OR bool_or(state IS NULL OR state IN ('pending', 'deferred')) THEN fallback
          WHEN bool_and(state = 'suppressed') THEN 'suppressed'
          WHEN bool_or(state = 'complained') THEN 'complained'
          WHEN bool_or(state = 'bounced') THEN 'bounced'
          WHEN bool_or(state IN ('failed', 'dropped')) THEN 'failed'
          WHEN bool_or(state = 'sent') THEN 'sent'
          ELSE 'delivered' END
        FROM (SELECT value->>'state' AS state FROM jsonb_each(coalesce(recipients, '{}'::jsonb))) s
      $$`);

    await q.query(`
      CREATE TABLE email_events (
        tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        message_id         uuid NOT NULL REFERENCES email_messages(id) ON DELETE CASCADE,
        id                 bigserial,
        -- NULL for events about the whole message (accepted, sent, a retry of all recipients).
        recipient          text,
        type               text NOT NULL,
        occurred_at        timestamptz NOT NULL DEFAULT now(),
        -- mailgate (its own dispatcher and API), or the provider that reported it (sendgrid).
        source             text NOT NULL,
        data               jsonb,
        -- The provider's id of the event (SendGrid sg_event_id): each is stored once.
        provider_event_id  text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, message_id, id)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX email_events_provider_event_uq ON email_events (tenant_id, source, provider_event_id) WHERE provider_event_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE suppressions (
        tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        -- The address with its domain case-folded and in punycode (src/suppressions/suppression-address.ts).
        address            text NOT NULL,
        reason             text NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'dropped', 'unsubscribe', 'manual')),
        source             text NOT NULL,
        source_message_id  uuid,
        detail             jsonb,
        created_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, address)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE suppressions`);
    await q.query(`DROP TABLE email_events`);
    await q.query(`DROP FUNCTION mailgate_message_status(jsonb, text)`);
    await q.query(`DROP FUNCTION mailgate_merge_recipients(jsonb, jsonb)`);
    await q.query(`DROP FUNCTION mailgate_recipient_rank(text)`);
    await q.query(`DROP INDEX email_messages_provider_id_idx`);
    await q.query(`ALTER TABLE email_messages DROP COLUMN recipients`);
    // Derived statuses fold back into the two the first schema knew.
    await q.query(`
      UPDATE email_messages SET status = CASE WHEN status = 'suppressed' THEN 'failed' ELSE 'sent' END
      WHERE status IN ('delivered', 'bounced', 'complained', 'suppressed')`);
    await q.query(`ALTER TABLE email_messages DROP CONSTRAINT email_messages_status_check`);
    await q.query(
      `ALTER TABLE email_messages ADD CONSTRAINT email_messages_status_check CHECK (status IN ('queued', 'sending', 'sent', 'failed'))`,
    );
  }
}
