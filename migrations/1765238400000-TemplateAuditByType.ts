import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * GET /api/v3/email-template-history?type= pages one type's audit rows newest first: this index
 * serves it without reading the tenant's other types (the primary key serves the unfiltered list).
 */
export class TemplateAuditByType1765238400000 implements MigrationInterface {
  name = 'TemplateAuditByType1765238400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX email_template_audit_tenant_type_idx ON email_template_audit (tenant_id, type, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX email_template_audit_tenant_type_idx`);
  }
}
