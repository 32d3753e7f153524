import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/config/embedded-postgres';

declare global {
  var __MAILGATE_EMBEDDED_PG__: { db: EmbeddedDatabase; dir: string } | undefined;
}

/**
 * Every spec creates its own database on one server: DATABASE_URL's when set (CI uses the machine's
 * PostgreSQL), else an embedded one of this run's own under the OS temp folder.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined || adminUrl === '') {
    // One cluster per run: concurrent runs must not stop each other's database.
    const dir = mkdtempSync(join(tmpdir(), 'mailgate-test-pg-'));
    chmodSync(dir, 0o711);
    const embedded = await startEmbeddedPostgres(dir, () => undefined);
    globalThis.__MAILGATE_EMBEDDED_PG__ = { db: embedded, dir };
    adminUrl = embedded.url;
  }
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL for the tests is not reachable (${String(error)}). Set DATABASE_URL or unset it to use the embedded one.`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  // Workers are forked after global setup and inherit this.
  process.env.MAILGATE_TEST_ADMIN_URL = adminUrl;
}
