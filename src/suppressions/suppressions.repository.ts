import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';

export const SUPPRESSION_REASONS = [
  'hard_bounce',
  'complaint',
  'dropped',
  'unsubscribe',
  'manual',
] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

export interface SuppressionRow {
  address: string;
  reason: SuppressionReason;
  source: string;
  source_message_id: string | null;
  detail: Record<string, unknown> | null;
  created_at: Date;
}

const COLUMNS = 'address, reason, source, source_message_id, detail, created_at';

/** The per-tenant suppression list; addresses arrive already in suppressionKey form. */
@Injectable()
export class SuppressionsRepository {
  constructor(private readonly db: Database) {}

  /** Ordered by address (the primary key's order); `contains` matches anywhere, any case. */
  async list(
    tenantId: string,
    options: { after?: string; contains?: string; limit: number },
  ): Promise<SuppressionRow[]> {
    return this.db.query<SuppressionRow>(
      `SELECT ${COLUMNS} FROM suppressions
       WHERE tenant_id = $1 AND ($2::text IS NULL OR address > $2)
         AND ($3::text IS NULL OR strpos(lower(address), lower($3)) > 0)
       ORDER BY address LIMIT $4`,
      [tenantId, options.after ?? null, options.contains ?? null, options.limit],
    );
  }

  /** Adds the address unless it is there already; answers the stored row either way. */
  async add(
    tenantId: string,
    entry: { address: string; reason: SuppressionReason; source: string },
  ): Promise<{ row: SuppressionRow; created: boolean }> {
    const inserted = await this.db.query<SuppressionRow>(
      `INSERT INTO suppressions (tenant_id, address, reason, source)
       VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, address) DO NOTHING
       RETURNING ${COLUMNS}`,
      [tenantId, entry.address, entry.reason, entry.source],
    );
    if (inserted.length > 0) {
      return { row: inserted[0], created: true };
    }
    const existing = await this.db.query<SuppressionRow>(
      `SELECT ${COLUMNS} FROM suppressions WHERE tenant_id = $1 AND address = $2`,
      [tenantId, entry.address],
    );
    return { row: existing[0], created: false };
  }

  async remove(tenantId: string, address: string): Promise<SuppressionRow | null> {
    const rows = await this.db.query<SuppressionRow>(
      `DELETE FROM suppressions WHERE tenant_id = $1 AND address = $2 RETURNING ${COLUMNS}`,
      [tenantId, address],
    );
    return rows[0] ?? null;
  }
}
