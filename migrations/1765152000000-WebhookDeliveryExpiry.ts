import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The purge worker's scan of finished webhook deliveries (issue 17 with issue 23's
 * MESSAGE_RETENTION): delivered or failed rows, oldest end first. A delivery ends at its last
 * attempt; one failed without any (its endpoint disabled first) at its creation. Pending and
 * delivering rows are not in the index, so the purge can never select them.
 */
export class WebhookDeliveryExpiry1765152000000 implements MigrationInterface {
  name = 'WebhookDeliveryExpiry1765152000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX webhook_deliveries_expiry_idx
       ON webhook_deliveries ((coalesce(last_attempt_at, created_at)))
       WHERE status IN ('delivered', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX webhook_deliveries_expiry_idx`);
  }
}
