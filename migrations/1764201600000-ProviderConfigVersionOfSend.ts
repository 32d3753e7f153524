import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The provider config version a message was sent (or last attempted) through: read-your-writes made visible. */
export class ProviderConfigVersionOfSend1764201600000 implements MigrationInterface {
  name = 'ProviderConfigVersionOfSend1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_messages ADD COLUMN provider_config_version integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE email_messages DROP COLUMN provider_config_version`);
  }
}
