import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';

export interface EmailEventRow {
  id: string;
  recipient: string | null;
  type: string;
  occurred_at: Date;
  source: string;
  data: Record<string, unknown> | null;
}

/** Reads of the `email_events` timeline (writes happen with the state change they describe). */
@Injectable()
export class EmailEventsRepository {
  constructor(private readonly db: Database) {}

  /** Oldest first; keyset on the event id. null when the message is not the tenant's. */
  async list(
    tenantId: string,
    messageId: string,
    options: { after?: string; limit: number },
  ): Promise<EmailEventRow[] | null> {
    const rows = await this.db.query<EmailEventRow>(
      `SELECT e.id::text AS id, e.recipient, e.type, e.occurred_at, e.source, e.data
       FROM email_messages m
       JOIN email_events e ON e.tenant_id = m.tenant_id AND e.message_id = m.id
         AND ($3::bigint IS NULL OR e.id > $3::bigint)
       WHERE m.tenant_id = $1 AND m.id = $2
       ORDER BY e.id LIMIT $4`,
      [tenantId, messageId, options.after ?? null, options.limit],
    );
    if (rows.length > 0) {
      return rows;
    }
    const exists = await this.db.query(
      'SELECT 1 FROM email_messages WHERE tenant_id = $1 AND id = $2',
      [tenantId, messageId],
    );
    return exists.length === 0 ? null : [];
  }
}
