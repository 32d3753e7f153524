import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks to services (Standard Webhooks): endpoints per tenant and the webhook outbox.
 * A trigger on email_messages writes the outbox rows in the transaction that changes a
 * message's status, so no event exists without its state and no state without its event,
 * whichever code path or replica made the change.
 */
export class WebhookOutbox1764460800000 implements MigrationInterface {
  name = 'WebhookOutbox1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        tenant_id                    text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id                           text NOT NULL,
        url                          text NOT NULL,
        description                  text,
        -- NULL = every event type.
        events                       text[],
        -- "whsec_..." encrypted with MAILGATE_SECRET_KEY; the previous one signs too until it expires.
        secret_ciphertext            text NOT NULL,
        previous_secret_ciphertext   text,
        previous_secret_expires_at   timestamptz,
        disabled_at                  timestamptz,
        disabled_reason              text,
        -- Start of the current run of failed attempts; cleared by a delivered one.
        failing_since                timestamptz,
        created_at                   timestamptz NOT NULL DEFAULT now(),
        updated_at                   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);

    await q.query(`
      CREATE TABLE webhook_deliveries (
        tenant_id         text NOT NULL,
        -- The webhook-id header: the same on every attempt, for receivers to deduplicate.
        id                text NOT NULL,
        endpoint_id       text NOT NULL,
        event_type        text NOT NULL,
        email_id          uuid,
        payload           jsonb NOT NULL,
        status            text NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
        attempts          integer NOT NULL DEFAULT 0,
        next_attempt_at   timestamptz NOT NULL DEFAULT now(),
        locked_until      timestamptz,
        locked_by         text,
        last_attempt_at   timestamptz,
        last_status_code  integer,
        last_latency_ms   integer,
        last_error        text,
        created_at        timestamptz NOT NULL DEFAULT now(),
        delivered_at      timestamptz,
        PRIMARY KEY (tenant_id, id),
        FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
      )`);
    // The claim: due rows of one endpoint in order, and that endpoint's in-flight count.
    await q.query(
      `CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (tenant_id, endpoint_id, next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (locked_until) WHERE status = 'delivering'`,
    );
    // Outbox depth and oldest pending age (metrics), whatever the endpoint.
    await q.query(
      `CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (created_at) WHERE status IN ('pending', 'delivering')`,
    );
    // Keyset pagination of an endpoint's deliveries, newest first.
    await q.query(
      `CREATE INDEX webhook_deliveries_list_idx ON webhook_deliveries (tenant_id, endpoint_id, created_at DESC, id DESC)`,
    );

    // One outbox row per enabled endpoint of the tenant that wants the event. Statuses are
    // matched by name, so statuses added later (delivered, bounced, ...) need no change here.
    await q.query(`
      CREATE FUNCTION mailgate_webhook_email_event() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      DECLARE
        event text;
        body jsonb;
      BEGIN
        event := CASE
          WHEN NEW.status = 'queued' THEN 'email.deferred'
          WHEN NEW.status IN ('sent', 'failed', 'delivered', 'bounced', 'complained', 'suppressed')
            THEN 'email.' || NEW.status
        END;
        IF event IS NULL OR NOT EXISTS (
          SELECT 1 FROM webhook_endpoints e
          WHERE e.tenant_id = NEW.tenant_id AND e.disabled_at IS NULL
            AND (e.events IS NULL OR event = ANY (e.events))
        ) THEN
          RETURN NULL;
        END IF;
        body := jsonb_build_object(
          'type', event,
          'timestamp', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'data', jsonb_build_object(
            'id', NEW.id,
            'tenant', NEW.tenant_id,
            'to', NEW.payload -> 'to',
            'status', NEW.status,
            'attempt', NEW.attempts,
            'transport', NEW.transport,
            'tags', coalesce(to_jsonb(NEW.tags), '[]'::jsonb),
            'metadata', coalesce(NEW.metadata, '{}'::jsonb)
          ) || CASE WHEN NEW.last_error IS NULL OR NEW.status = 'sent' THEN '{}'::jsonb
                    ELSE jsonb_build_object('error', NEW.last_error) END
        );
        INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_type, email_id, payload)
        SELECT e.tenant_id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, event, NEW.id, body
        FROM webhook_endpoints e
        WHERE e.tenant_id = NEW.tenant_id AND e.disabled_at IS NULL
          AND (e.events IS NULL OR event = ANY (e.events));
        RETURN NULL;
      END
      $fn$`);
    // The WHEN clauses run in C before any PL/pgSQL: the claim (queued -> sending) and a
    // lease given back on shutdown (attempt count lowered) never call the function.
    // Deferred = back to queued after a failed attempt (the attempt count kept).
    await q.query(`
      CREATE TRIGGER email_messages_webhook_update
      AFTER UPDATE OF status ON email_messages
      FOR EACH ROW
      WHEN (OLD.status IS DISTINCT FROM NEW.status AND NEW.status <> 'sending'
            AND (NEW.status <> 'queued' OR (OLD.status = 'sending' AND NEW.attempts >= OLD.attempts)))
      EXECUTE FUNCTION mailgate_webhook_email_event()`);
    // A message stored straight in a final status (e.g. suppressed at accept) is an event too.
    await q.query(`
      CREATE TRIGGER email_messages_webhook_insert
      AFTER INSERT ON email_messages
      FOR EACH ROW
      WHEN (NEW.status NOT IN ('queued', 'sending'))
      EXECUTE FUNCTION mailgate_webhook_email_event()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER email_messages_webhook_insert ON email_messages`);
    await q.query(`DROP TRIGGER email_messages_webhook_update ON email_messages`);
    await q.query(`DROP FUNCTION mailgate_webhook_email_event()`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
