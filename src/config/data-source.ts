import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';

/** Options shared by the app and the migration CLI; schema changes only through migrations. */
export function dataSourceOptions(
  url: string,
  extra: Partial<DataSourceOptions> = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    // Compiled (dist/migrations/*.js) or source (migrations/*.ts) — whichever tree this file is in.
    migrations: [join(__dirname, '..', '..', 'migrations', '*.{js,ts}')],
    migrationsTableName: 'typeorm_migrations',
    entities: [join(__dirname, '..', '**', '*.entity.{js,ts}')],
    extra: {
      max: 20,
      connectionTimeoutMillis: 5_000,
      // Closed pools must not keep a dead database's sockets around forever.
      idleTimeoutMillis: 30_000,
      application_name: 'mailgate',
    },
    ...extra,
  } as DataSourceOptions;
}

/** Arbitrary but fixed: every mailgate instance serialises schema changes on this advisory lock. */
export const MIGRATION_LOCK_ID = 7_305_114_001;

/**
 * Runs pending migrations while holding a session-level advisory lock, so replicas starting
 * together apply the schema once and the others wait, then find nothing to do.
 */
export async function runMigrationsLocked(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}
