import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../../../src/config/embedded-postgres';

/**
 * A PostgreSQL of the spec's own (embedded, in a temporary folder) that it may stop and start
 * again on the same port, as a restart or failover looks to the gateway.
 */
export interface OwnPostgres {
  readonly url: string;
  /** What startTestApp takes: the gateway's database is this server's, never dropped by it. */
  readonly testDb: { url: string; name: string; drop: () => Promise<void> };
  stop(): Promise<void>;
  /** Starts it again on the port it had (after stop()). */
  start(): Promise<void>;
  /** Stops it if running and removes its folder. */
  remove(): Promise<void>;
}

export async function startOwnPostgres(prefix: string): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let pg: EmbeddedDatabase | undefined = await startEmbeddedPostgres(dir, () => undefined);
  const url = pg.url;
  const port = Number(new URL(url).port);
  return {
    url,
    testDb: { url, name: 'mailgate', drop: async () => undefined },
    async stop() {
      await pg?.stop();
      pg = undefined;
    },
    async start() {
      pg = await startEmbeddedPostgres(dir, () => undefined, { port });
    },
    async remove() {
      await pg?.stop();
      pg = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
