import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook payloads carry `data.providerConfigVersion` (the tenant's provider config the attempt
 * went through, email_messages.provider_config_version) when the message has one.
 */
export class WebhookEventProviderConfigVersion1764460800001 implements MigrationInterface {
  name = 'WebhookEventProviderConfigVersion1764460800001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(functionSql(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(functionSql(false));
  }
}

/** The trigger function of WebhookOutbox1764460800000, with or without the config version. */
function functionSql(withConfigVersion: boolean): string {
  const version = withConfigVersion
    ? `|| CASE WHEN NEW.provider_config_version IS NULL THEN '{}'::jsonb
                   ELSE jsonb_build_object('providerConfigVersion', NEW.provider_config_version) END`
    : '';
  return `
    CREATE OR REPLACE FUNCTION mailgate_webhook_email_event() RETURNS trigger
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
          ${version}
      );
      INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_type, email_id, payload)
      SELECT e.tenant_id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, event, NEW.id, body
      FROM webhook_endpoints e
      WHERE e.tenant_id = NEW.tenant_id AND e.disabled_at IS NULL
        AND (e.events IS NULL OR event = ANY (e.events));
      RETURN NULL;
    END
    $fn$`;
}
