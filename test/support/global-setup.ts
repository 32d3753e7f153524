import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/config/embedded-postgres';

declare global {
  var __MAILGATE_EMBEDDED_PG__: EmbeddedDatabase | undefined;
}

/**
 * Every spec creates its own database on one server: DATABASE_URL's when set (CI uses the machine's
 * PostgreSQL), else an embedded one kept under the OS temp folder between runs.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined || adminUrl === '') {
    const dir = join(tmpdir(), 'mailgate-test-pg');
    mkdirSync(dir, { recursive: true, mode: 0o711 });
    const embedded = await startEmbeddedPostgres(dir, () => undefined);
    globalThis.__MAILGATE_EMBEDDED_PG__ = embedded;
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
