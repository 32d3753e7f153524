import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrationsLocked } from '../../src/config/data-source';
import { createTestDatabase, query, type TestDatabase } from '../support/database';

/**
 * Tables that are not distributed by tenant (docs/scaling.md, "Past one PostgreSQL"), and why.
 * Every other table's primary key and unique indexes must start with tenant_id, and its foreign
 * keys to other tenant tables must carry tenant_id, as Citus requires of a table distributed by it.
 */
const GLOBAL_TABLES: Record<string, string> = {
  tenants: 'the tenants themselves: its id is the tenant id (a reference table on Citus)',
  typeorm_migrations: "TypeORM's own bookkeeping, on the coordinator",
};

interface Violation {
  table: string;
  what: string;
}

/** Unique indexes (primary keys included) whose first column is not tenant_id. */
async function uniqueIndexesNotLedByTenant(url: string): Promise<Violation[]> {
  const rows = await query<{ table: string; index: string; first: string | null }>(
    url,
    `SELECT c.relname AS "table", i.relname AS "index", a.attname AS first
       FROM pg_index x
       JOIN pg_class i ON i.oid = x.indexrelid
       JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = x.indkey[0]
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND x.indisunique
      ORDER BY 1, 2`,
  );
  return rows
    .filter((row) => !(row.table in GLOBAL_TABLES) && row.first !== 'tenant_id')
    .map((row) => ({
      table: row.table,
      what: `unique index ${row.index} starts with ${row.first ?? 'an expression'}`,
    }));
}

/** Foreign keys between two tenant tables that do not carry tenant_id on both sides. */
async function foreignKeysWithoutTenant(url: string): Promise<Violation[]> {
  const rows = await query<{ table: string; name: string; target: string; def: string }>(
    url,
    `SELECT src.relname AS "table", con.conname AS name, tgt.relname AS target,
            pg_get_constraintdef(con.oid) AS def
       FROM pg_constraint con
       JOIN pg_class src ON src.oid = con.conrelid
       JOIN pg_class tgt ON tgt.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = src.relnamespace
      WHERE n.nspname = 'public' AND con.contype = 'f'
      ORDER BY 1, 2`,
  );
  return rows
    .filter((row) => !(row.table in GLOBAL_TABLES) && !(row.target in GLOBAL_TABLES))
    .filter((row) => !/^FOREIGN KEY \(tenant_id, .*REFERENCES \S+\(tenant_id, /.test(row.def))
    .map((row) => ({ table: row.table, what: `foreign key ${row.name}: ${row.def}` }));
}

/** Tenant tables without a tenant_id column to distribute by. */
async function tablesWithoutTenantColumn(url: string): Promise<Violation[]> {
  const rows = await query<{ table: string }>(
    url,
    `SELECT c.relname AS "table"
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      ORDER BY 1`,
  );
  return rows
    .filter((row) => !(row.table in GLOBAL_TABLES))
    .map((row) => ({ table: row.table, what: 'no tenant_id column' }));
}

async function violations(url: string): Promise<Violation[]> {
  return [
    ...(await tablesWithoutTenantColumn(url)),
    ...(await uniqueIndexesNotLedByTenant(url)),
    ...(await foreignKeysWithoutTenant(url)),
  ];
}

/** The plan PostgreSQL picks for `sql` when a sequential scan is not an option. */
async function plan(url: string, sql: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await client.end();
  }
}

describe('schema keyed by tenant (Citus-ready, docs/scaling.md)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    const ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    try {
      await runMigrationsLocked(ds);
    } finally {
      await ds.destroy();
    }
  });
  afterAll(async () => {
    await db.drop();
  });

  it('after every migration, leads each primary key and unique index with tenant_id', async () => {
    await expect(uniqueIndexesNotLedByTenant(db.url)).resolves.toEqual([]);
  });

  it('gives every table but the global ones a tenant_id, carried by foreign keys between them', async () => {
    await expect(tablesWithoutTenantColumn(db.url)).resolves.toEqual([]);
    await expect(foreignKeysWithoutTenant(db.url)).resolves.toEqual([]);
  });

  it('names what a table keyed without the tenant breaks', async () => {
    await query(
      db.url,
      `CREATE TABLE scratch_widgets (id uuid PRIMARY KEY, tenant_id text NOT NULL, code text UNIQUE)`,
    );
    await query(
      db.url,
      `CREATE TABLE scratch_parts (tenant_id text NOT NULL, id bigint, widget uuid REFERENCES scratch_widgets (id), PRIMARY KEY (tenant_id, id))`,
    );
    await query(db.url, `CREATE TABLE scratch_log (line text)`);
    try {
      await expect(violations(db.url)).resolves.toEqual([
        { table: 'scratch_log', what: 'no tenant_id column' },
        {
          table: 'scratch_widgets',
          what: 'unique index scratch_widgets_code_key starts with code',
        },
        { table: 'scratch_widgets', what: 'unique index scratch_widgets_pkey starts with id' },
        {
          table: 'scratch_parts',
          what: 'foreign key scratch_parts_widget_fkey: FOREIGN KEY (widget) REFERENCES scratch_widgets(id)',
        },
      ]);
    } finally {
      await query(db.url, `DROP TABLE scratch_parts, scratch_widgets, scratch_log`);
    }
  });

  // An index led by the looked-up column, not a whole scan of the (tenant_id, id) key.
  it.each([
    [
      'a message by id alone (dispatcher bookkeeping)',
      `SELECT * FROM email_messages WHERE id = '00000000-0000-0000-0000-000000000000'`,
      'email_messages_id_idx',
    ],
    [
      'a key by id alone (authentication)',
      `SELECT * FROM api_keys WHERE id = 'mgk_x'`,
      'api_keys_id_idx',
    ],
    [
      'attempts by message id alone (purge, message reads)',
      `SELECT * FROM email_attempts WHERE message_id = '00000000-0000-0000-0000-000000000000'`,
      'email_attempts_message_idx',
    ],
  ])('still finds %s through an index led by it', async (_what, sql, index) => {
    await expect(plan(db.url, sql)).resolves.toMatch(
      new RegExp(`Index (Only )?Scan using ${index}|Bitmap Index Scan on ${index}`),
    );
  });
});
