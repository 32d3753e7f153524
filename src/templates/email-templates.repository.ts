import { Injectable } from '@nestjs/common';
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

/** SQL of the templates aggregate: the saved templates and their audit trail. */
@Injectable()
export class EmailTemplatesRepository {
  constructor(private readonly db: Database) {}

  async findAll(tenantId: string): Promise<StoredTemplate[]> {
    const rows: TemplateRow[] = await this.db.query(
      'SELECT * FROM email_templates WHERE tenant_id = $1',
      [tenantId],
    );
    return rows.map(toStored);
  }

  /** One primary-key lookup: runs on every send by template. */
  async find(tenantId: string, type: EmailTemplateType): Promise<StoredTemplate | null> {
    const rows: TemplateRow[] = await this.db.query(
      'SELECT * FROM email_templates WHERE tenant_id = $1 AND type = $2',
      [tenantId, type],
    );
    return rows.length === 0 ? null : toStored(rows[0]);
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
