import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';
import { suppressionKey } from '../suppressions/suppression-address';
import type { EmailEventType } from './email-event-type.enum';
import type { MappedEvent } from './sendgrid-events';

/**
 * One provider event in one statement: find the message (by outbox id, else by the provider's
 * message id), store the event once per provider event id, and only when it was stored move the
 * recipient's state, the message status (mailgate_message_status; not while the dispatcher holds
 * it) and the suppression list.
 */
const APPLY_EVENT = `
  WITH msg AS (
    SELECT id, tenant_id, payload FROM email_messages
    WHERE tenant_id = $1 AND ($2::uuid IS NOT NULL AND id = $2::uuid
                              OR $2::uuid IS NULL AND $3::text IS NOT NULL AND provider_message_id = $3)
    LIMIT 1
  ), ev AS (
    INSERT INTO email_events (tenant_id, message_id, recipient, type, occurred_at, source, data, provider_event_id)
    SELECT tenant_id, id, $4, $5, $6, $7, $8, $9 FROM msg
    ON CONFLICT (tenant_id, source, provider_event_id) WHERE provider_event_id IS NOT NULL DO NOTHING
    RETURNING message_id
  ), rcpt AS (
    -- The recipient as the message spells it, so its state lands on the same key.
    SELECT coalesce((
      SELECT r->>'email' FROM jsonb_array_elements(
        coalesce(msg.payload->'to', '[]') || coalesce(msg.payload->'cc', '[]') || coalesce(msg.payload->'bcc', '[]')) r
      WHERE lower(r->>'email') = lower($4) LIMIT 1), $4) AS address
    FROM msg
  ), upd AS (
    UPDATE email_messages e
    SET recipients = mailgate_merge_recipients(e.recipients, jsonb_build_object(rcpt.address, $10::jsonb)),
        status = CASE WHEN e.status IN ('queued', 'sending') THEN e.status
                      ELSE mailgate_message_status(
                        mailgate_merge_recipients(e.recipients, jsonb_build_object(rcpt.address, $10::jsonb)),
                        e.status) END,
        updated_at = now()
    FROM ev, rcpt
    WHERE e.tenant_id = $1 AND e.id = ev.message_id AND $10::jsonb IS NOT NULL AND rcpt.address IS NOT NULL
    RETURNING e.id
  ), sup AS (
    INSERT INTO suppressions (tenant_id, address, reason, source, source_message_id, detail)
    SELECT $1, $11, $12, $7, ev.message_id, $13 FROM ev WHERE $11::text IS NOT NULL
    ON CONFLICT (tenant_id, address) DO NOTHING
  )
  SELECT (SELECT count(*) FROM msg)::int AS matched, (SELECT count(*) FROM ev)::int AS stored`;

export interface ApplyResult {
  received: number;
  stored: number;
  /** Seen before (same sg_event_id): SendGrid retries deliveries. */
  duplicates: number;
  /** No message of this tenant matches (not sent through mailgate, or already removed). */
  unmatched: number;
}

@Injectable()
export class ProviderEventsRepository {
  constructor(private readonly db: Database) {}

  /** The tenant's SendGrid verification key; null when none is saved (or no SendGrid config). */
  async sendGridVerificationKey(tenantId: string): Promise<string | null> {
    const rows = await this.db.query<{ key: string | null }>(
      `SELECT config->'sendGridConfig'->>'webhookVerificationKey' AS key
       FROM email_provider_configs WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0]?.key ?? null;
  }

  /** Applies a verified batch in one transaction, in order; each event id counts once. */
  async apply(
    tenantId: string,
    source: string,
    events: MappedEvent[],
  ): Promise<ApplyResult & { storedTypes: Array<{ type: EmailEventType }> }> {
    const result = { received: events.length, stored: 0, duplicates: 0, unmatched: 0 };
    const storedTypes: Array<{ type: EmailEventType }> = [];
    return this.db.transaction(async (tx) => {
      for (const event of events) {
        const rows = await tx.prepared<{ matched: number; stored: number }>(
          'mailgate_apply_provider_event',
          APPLY_EVENT,
          [
            tenantId,
            event.messageId,
            event.providerMessageId,
            event.recipient,
            event.type,
            event.occurredAt,
            source,
            event.data,
            event.providerEventId,
            event.state,
            event.suppress === null || event.recipient === null
              ? null
              : suppressionKey(event.recipient),
            event.suppress,
            event.suppress === null
              ? null
              : { event: event.data.event, reason: event.state?.reason },
          ],
        );
        const { matched, stored } = rows[0];
        result.stored += stored;
        if (stored > 0) {
          storedTypes.push({ type: event.type });
        }
        result.unmatched += matched === 0 ? 1 : 0;
        result.duplicates += matched === 1 && stored === 0 ? 1 : 0;
      }
      return { ...result, storedTypes };
    });
  }
}
