import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The per-tenant send rate (issue 14): the `rateLimit` extension of the provider config, the
 * shared pacing state of each limited tenant (one row, updated atomically by every replica), and
 * attempts recorded as `deferred` (with a `reason`) when a message waits without spending one.
 */
export class SendRateLimit1764979200000 implements MigrationInterface {
  name = 'SendRateLimit1764979200000';

  async up(q: QueryRunner): Promise<void> {
    // NULL: no limit (the common case, and every config saved before this).
    await q.query(`ALTER TABLE email_provider_configs ADD COLUMN rate_limit jsonb`);
    await q.query(`
      CREATE TABLE tenant_send_rates (
        tenant_id     text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        next_slot_at  timestamptz NOT NULL,
        day           date NOT NULL,
        day_count     integer NOT NULL,
        updated_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`ALTER TABLE email_attempts DROP CONSTRAINT email_attempts_outcome_check`);
    await q.query(
      `ALTER TABLE email_attempts ADD CONSTRAINT email_attempts_outcome_check
         CHECK (outcome IN ('sent', 'retry', 'failed', 'deferred'))`,
    );
    await q.query(`ALTER TABLE email_attempts ADD COLUMN reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM email_attempts WHERE outcome = 'deferred'`);
    await q.query(`ALTER TABLE email_attempts DROP COLUMN reason`);
    await q.query(`ALTER TABLE email_attempts DROP CONSTRAINT email_attempts_outcome_check`);
    await q.query(
      `ALTER TABLE email_attempts ADD CONSTRAINT email_attempts_outcome_check
         CHECK (outcome IN ('sent', 'retry', 'failed'))`,
    );
    await q.query(`DROP TABLE tenant_send_rates`);
    await q.query(`ALTER TABLE email_provider_configs DROP COLUMN rate_limit`);
  }
}
