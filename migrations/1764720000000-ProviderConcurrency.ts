import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The `concurrency` extension of a tenant's provider config (SMTP pool size and messages per
 * connection, SendGrid requests in flight): only values that differ from the type's defaults.
 */
export class ProviderConcurrency1764720000000 implements MigrationInterface {
  name = 'ProviderConcurrency1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE email_provider_configs ADD COLUMN concurrency jsonb NOT NULL DEFAULT '{}'::jsonb`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_provider_configs DROP COLUMN concurrency`);
  }
}
