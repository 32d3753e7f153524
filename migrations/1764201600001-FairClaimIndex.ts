import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair scheduling: the claim walks the tenants with queued rows (one index probe each, a loose
 * index scan) and takes each one's oldest due rows, both from this index.
 */
export class FairClaimIndex1764201600001 implements MigrationInterface {
  name = 'FairClaimIndex1764201600001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX email_messages_tenant_due_idx ON email_messages (tenant_id, next_attempt_at) WHERE status = 'queued'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX email_messages_tenant_due_idx`);
  }
}
