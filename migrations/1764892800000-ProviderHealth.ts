import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The circuit breaker of each tenant's provider (README "Circuit breaker"), shared by every
 * replica: one row per tenant, for the config version it was built from (a newer version starts
 * closed again). The claim reads it by primary key for each tenant it walks.
 */
export class ProviderHealth1764892800000 implements MigrationInterface {
  name = 'ProviderHealth1764892800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provider_health (
        tenant_id            text PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
        config_version       integer NOT NULL,
        provider_type        text NOT NULL,
        state                text NOT NULL DEFAULT 'closed'
                             CHECK (state IN ('closed', 'open', 'half_open')),
        -- Why it opened: consecutive transient/rate_limited failures, or an auth failure.
        reason               text CHECK (reason IN ('failures', 'auth')),
        consecutive_failures integer NOT NULL DEFAULT 0,
        -- Openings since the last success: the cool-down doubles with each.
        trips                integer NOT NULL DEFAULT 0,
        since                timestamptz NOT NULL DEFAULT now(),
        -- Open after failures: when the cool-down ends and one probe may go.
        retry_at             timestamptz,
        -- Half open: the one message being tried, and when that try is abandoned (its lease).
        probe_message_id     uuid,
        probe_until          timestamptz,
        last_error           jsonb,
        updated_at           timestamptz NOT NULL DEFAULT now()
      )`);
    // Metrics count the circuits that are not closed; those are few.
    await q.query(
      `CREATE INDEX provider_health_not_closed_idx ON provider_health (state) WHERE state <> 'closed'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE provider_health`);
  }
}
