import { Injectable } from '@nestjs/common';
import { GroupCommit } from '../common/group-commit';
import { Database } from '../config/database';
import type { EmailTemplateAuditEntryDto } from './dto/email-template.dto';
import type { EmailTemplateType } from './email-template-type.enum';

/** A tenant's saved template of one type (`email_templates`). */
export interface StoredTemplate {
  tenantId: string;
  type: EmailTemplateType;
  customizeEnabled: boolean;
  name: string;
  subject: string;
  sender: string;
  content: string;
  expiresIn: number | null;
  redirectTo: string | null;
  version: number;
  updatedBy: string | null;
  updatedAt: Date;
}

/** The fields a save writes. */
export type TemplateWrite = Pick<
  StoredTemplate,
  'customizeEnabled' | 'name' | 'subject' | 'sender' | 'content' | 'expiresIn' | 'redirectTo'
>;

/** What a planner decides inside the save transaction; null means "no change, write nothing". */
export interface TemplateSavePlan {
  write: TemplateWrite;
  action: 'create' | 'update';
  changes: Record<string, unknown>;
}

interface TemplateRow {
  tenant_id: string;
  type: EmailTemplateType;
  customize_enabled: boolean;
  name: string;
  subject: string;
  sender: string;
  content: string;
  expires_in: number | null;
  redirect_to: string | null;
  version: number;
  updated_by: string | null;
  updated_at: Date;
}

function toStored(row: TemplateRow): StoredTemplate {
  return {
    tenantId: row.tenant_id,
    type: row.type,
    customizeEnabled: row.customize_enabled,
    name: row.name,
    subject: row.subject,
    sender: row.sender,
    content: row.content,
    expiresIn: row.expires_in,
    redirectTo: row.redirect_to,
    version: row.version,
    updatedBy: row.updated_by,
    updatedAt: row.updated_at,
  };
}

/** One audit row (`email_template_audit`): the API's entry, with the time as read. */
type TemplateAuditRow = Omit<EmailTemplateAuditEntryDto, 'createdAt'> & { createdAt: Date };

/** One page of audit rows, newest first. */
interface TemplateAuditPage {
  rows: TemplateAuditRow[];
  nextCursor: string | null;
}

/** Advisory-lock class of template writes (two-int form: its own key space). */
const LOCK_CLASS = 0x6d670021;

/** Lookups one grouped read answers at most. */
const LOOKUPS_PER_READ = 200;

/** One `find`, waiting for the grouped read that answers it. */
interface Lookup {
  tenantId: string;
  type: EmailTemplateType;
  found: StoredTemplate | null;
}

function lookupKey(tenantId: string, type: string): string {
  return `${tenantId}\u0000${type}`;
}

/** SQL of the templates aggregate: the saved templates and their audit trail. */
@Injectable()
export class EmailTemplatesRepository {
  /**
   * Sends by template come in bursts (a sign-up wave's verification codes), each needing its
   * template row: those arriving while a read runs share the next one. One lookup per statement
   * made that read cost as much as the rest of the accept (bench/README, "Template lookups").
   */
  private readonly lookups = new GroupCommit<Lookup>({
    write: (lookups) => this.readMany(lookups),
    rewrite: (lookup) => this.readMany([lookup]),
    maxInFlight: 1,
    maxItems: LOOKUPS_PER_READ,
  });

  constructor(private readonly db: Database) {}

  async findAll(tenantId: string): Promise<StoredTemplate[]> {
    const rows: TemplateRow[] = await this.db.query(
      'SELECT * FROM email_templates WHERE tenant_id = $1',
      [tenantId],
    );
    return rows.map(toStored);
  }

  /** A tenant's saved template of `type`; runs on every send by template, grouped (above). */
  async find(tenantId: string, type: EmailTemplateType): Promise<StoredTemplate | null> {
    const lookup: Lookup = { tenantId, type, found: null };
    await this.lookups.add(lookup);
    return lookup.found;
  }

  private async readMany(lookups: Lookup[]): Promise<void> {
    const keys = new Map(lookups.map((l) => [lookupKey(l.tenantId, l.type), l]));
    const wanted = [...keys.values()];
    // A key-list join: not prepared (Database.prepared), planned per call.
    const rows: TemplateRow[] = await this.db.query(
      `SELECT t.* FROM unnest($1::text[], $2::text[]) AS k(tenant_id, type)
         JOIN email_templates t ON t.tenant_id = k.tenant_id AND t.type = k.type`,
      [wanted.map((l) => l.tenantId), wanted.map((l) => l.type)],
    );
    const found = new Map(rows.map((row) => [lookupKey(row.tenant_id, row.type), toStored(row)]));
    for (const lookup of lookups) {
      lookup.found = found.get(lookupKey(lookup.tenantId, lookup.type)) ?? null;
    }
  }

  /**
   * Audit rows of one tenant (of one type when given), newest first, below `cursor` (an id) when
   * given. Keyset paging on the bigserial id: stable while new saves arrive.
   */
  async history(
    tenantId: string,
    type: EmailTemplateType | undefined,
    limit: number,
    cursor: string | undefined,
  ): Promise<TemplateAuditPage> {
    const rows: Array<{
      id: string;
      type: EmailTemplateType;
      version: number;
      action: 'create' | 'update';
      actor_key_id: string | null;
      changes: Record<string, unknown>;
      created_at: Date;
    }> = await this.db.query(
      `SELECT id::text AS id, type, version, action, actor_key_id, changes, created_at
         FROM email_template_audit
        WHERE tenant_id = $1
          AND ($2::text IS NULL OR type = $2)
          AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC
        LIMIT $4`,
      [tenantId, type ?? null, cursor ?? null, limit + 1],
    );
    const more = rows.length > limit;
    const page = (more ? rows.slice(0, limit) : rows).map((r) => ({
      id: r.id,
      type: r.type,
      version: r.version,
      action: r.action,
      actorKeyId: r.actor_key_id,
      changes: r.changes,
      createdAt: r.created_at,
    }));
    return { rows: page, nextCursor: more ? page[page.length - 1].id : null };
  }

  /**
   * Saves one template and its audit row in one transaction. Writers of one (tenant, type) are
   * serialized so `plan` sees the row it replaces; the version is bumped in the upsert itself.
   */
  async save(
    tenantId: string,
    type: EmailTemplateType,
    actorKeyId: string | null,
    plan: (current: StoredTemplate | null) => TemplateSavePlan | null,
  ): Promise<StoredTemplate> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        LOCK_CLASS,
        `${tenantId}/${type}`,
      ]);
      const currentRows: TemplateRow[] = await tx.query(
        'SELECT * FROM email_templates WHERE tenant_id = $1 AND type = $2',
        [tenantId, type],
      );
      const current = currentRows.length === 0 ? null : toStored(currentRows[0]);
      const decided = plan(current);
      if (decided === null) {
        return current as StoredTemplate;
      }
      const { write } = decided;
      const rows: TemplateRow[] = await tx.query(
        `INSERT INTO email_templates AS t
           (tenant_id, type, customize_enabled, name, subject, sender, content, expires_in,
            redirect_to, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id, type) DO UPDATE SET
           customize_enabled = EXCLUDED.customize_enabled,
           name = EXCLUDED.name,
           subject = EXCLUDED.subject,
           sender = EXCLUDED.sender,
           content = EXCLUDED.content,
           expires_in = EXCLUDED.expires_in,
           redirect_to = EXCLUDED.redirect_to,
           version = t.version + 1,
           updated_by = EXCLUDED.updated_by,
           updated_at = now()
         RETURNING *`,
        [
          tenantId,
          type,
          write.customizeEnabled,
          write.name,
          write.subject,
          write.sender,
          write.content,
          write.expiresIn,
          write.redirectTo,
          actorKeyId,
        ],
      );
      const saved = toStored(rows[0]);
      await tx.query(
        `INSERT INTO email_template_audit (tenant_id, type, version, action, actor_key_id, changes)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
        [
          tenantId,
          type,
          saved.version,
          decided.action,
          actorKeyId,
          JSON.stringify(decided.changes),
        ],
      );
      return saved;
    });
  }
}
