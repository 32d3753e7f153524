import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console overview's figures (GET /v1/stats) from indexed reads: events by arrival time per
 * tenant, sends by time per tenant (latency), and an hourly rollup of complete hours, filled on
 * read, so the 24 h view never rescans a day of events and the write path pays nothing extra.
 */
export class StatsOverview1764806400000 implements MigrationInterface {
  name = 'StatsOverview1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX email_events_tenant_arrival_idx ON email_events (tenant_id, created_at) INCLUDE (type)`,
    );
    await q.query(
      `CREATE INDEX email_messages_tenant_sent_idx ON email_messages (tenant_id, sent_at) WHERE sent_at IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE stats_hourly (
        tenant_id  text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        hour       timestamptz NOT NULL,
        sent       integer NOT NULL,
        deferred   integer NOT NULL,
        failed     integer NOT NULL,
        bounced    integer NOT NULL,
        PRIMARY KEY (tenant_id, hour)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stats_hourly`);
    await q.query(`DROP INDEX email_messages_tenant_sent_idx`);
    await q.query(`DROP INDEX email_events_tenant_arrival_idx`);
  }
}
