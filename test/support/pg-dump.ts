import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { query } from './database';

const run = promisify(execFile);

/**
 * Everything a backup of the database would hold: `pg_dump` of it (schema and data). When the
 * machine's pg_dump is older than the server (the embedded PostgreSQL of a run without
 * DATABASE_URL), every row of every table in text form instead: the same question, what is at rest.
 */
export async function dumpDatabase(url: string): Promise<string> {
  try {
    const { stdout } = await run('pg_dump', ['--no-owner', `--dbname=${url}`], {
      maxBuffer: 256 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const message = String((error as { stderr?: string }).stderr ?? error);
    if (!/server version mismatch|ENOENT/.test(message)) {
      throw error;
    }
  }
  const tables = await query<{ name: string }>(
    url,
    `SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name
       FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await query<{ text: string | null }>(
      url,
      `SELECT string_agg(t::text, E'\\n') AS text FROM ${name} t`,
    );
    parts.push(`-- ${name}\n${rows[0]?.text ?? ''}`);
  }
  return parts.join('\n');
}
