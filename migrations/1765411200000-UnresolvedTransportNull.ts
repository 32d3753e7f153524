import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An attempt no transport could be resolved for (e.g. an undecryptable provider secret) stores
 * transport NULL, as the API shows it, instead of the string 'unresolved' (issue 20).
 */
export class UnresolvedTransportNull1765411200000 implements MigrationInterface {
  name = 'UnresolvedTransportNull1765411200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_attempts ALTER COLUMN transport DROP NOT NULL`);
    await q.query(`UPDATE email_attempts SET transport = NULL WHERE transport = 'unresolved'`);
    await q.query(`UPDATE email_messages SET transport = NULL WHERE transport = 'unresolved'`);
  }

  async down(q: QueryRunner): Promise<void> {
    // A message's transport was NULL before its first attempt too: only failed attempts had one.
    await q.query(
      `UPDATE email_messages SET transport = 'unresolved'
        WHERE transport IS NULL AND last_error IS NOT NULL`,
    );
    await q.query(`UPDATE email_attempts SET transport = 'unresolved' WHERE transport IS NULL`);
    await q.query(`ALTER TABLE email_attempts ALTER COLUMN transport SET NOT NULL`);
  }
}
