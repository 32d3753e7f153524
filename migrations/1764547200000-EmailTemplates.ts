import type { MigrationInterface, QueryRunner } from 'typeorm';

/** GenAuth's email templates a tenant customised, and their audit trail (issue 21). */
export class EmailTemplates1764547200000 implements MigrationInterface {
  name = 'EmailTemplates1764547200000';

  async up(q: QueryRunner): Promise<void> {
    // One row per (tenant, type) once the tenant saves that type; absent = the built-in default.
    await q.query(`
      CREATE TABLE email_templates (
        tenant_id          text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        type               text NOT NULL,
        customize_enabled  boolean NOT NULL,
        name               text NOT NULL,
        subject            text NOT NULL,
        sender             text NOT NULL,
        content            text NOT NULL,
        expires_in         integer,
        redirect_to        text,
        tpl_engine         text NOT NULL DEFAULT 'handlebar' CHECK (tpl_engine = 'handlebar'),
        -- Bumped on every save: compiled templates are cached per (tenant, type, version).
        version            integer NOT NULL DEFAULT 1,
        updated_by         text,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, type)
      )`);

    await q.query(`
      CREATE TABLE email_template_audit (
        tenant_id     text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id            bigserial NOT NULL,
        type          text NOT NULL,
        version       integer NOT NULL,
        action        text NOT NULL,
        actor_key_id  text,
        changes       jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE email_template_audit`);
    await q.query(`DROP TABLE email_templates`);
  }
}
