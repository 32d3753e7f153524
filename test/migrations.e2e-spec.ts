import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrationsLocked } from '../src/config/data-source';
import { createTestDatabase, query, type TestDatabase } from './support/database';
import { http, startTestApp } from './support/test-app';

const TABLES = [
  'api_keys',
  'auth_nonces',
  'email_attempts',
  'email_messages',
  'email_provider_configs',
  'provider_config_audit',
  'tenants',
];

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

describe('migrations', () => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('two instances starting together both come up and the schema is applied once', async () => {
    const [a, b] = await Promise.all([startTestApp({ db }), startTestApp({ db })]);
    try {
      for (const t of [a, b]) {
        expect((await http(t.baseUrl, 'GET', '/health/ready')).status).toBe(200);
      }
      const applied = await query(db.url, 'SELECT name FROM typeorm_migrations');
      const names = applied.map((r) => r.name as string);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('InitialSchema1764115200000');
      expect(await tables(db.url)).toEqual(expect.arrayContaining(TABLES));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('runs and reverts through the shared data source, under the lock', async () => {
    const ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    try {
      const first = await runMigrationsLocked(ds);
      expect(first).toContain('InitialSchema1764115200000');
      expect(await runMigrationsLocked(ds)).toEqual([]);
      // Revert everything, newest first, and the schema is gone.
      for (let i = 0; i < first.length; i += 1) {
        await ds.undoLastMigration({ transaction: 'each' });
      }
      expect(await tables(db.url)).toEqual([]);
      expect(await runMigrationsLocked(ds)).toEqual(first);
    } finally {
      await ds.destroy();
    }
  });

  it('starts without migrating when MAILGATE_MIGRATE_ON_START=false', async () => {
    const t = await startTestApp({ db, env: { MAILGATE_MIGRATE_ON_START: 'false' } });
    try {
      expect(await tables(db.url)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
