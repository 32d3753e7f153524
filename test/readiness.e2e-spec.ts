import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/config/embedded-postgres';
import { http, startTestApp, waitFor, type TestApp } from './support/test-app';

describe('readiness follows the database', () => {
  let dir: string;
  let pg: EmbeddedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    // A PostgreSQL of this spec's own, so it can be stopped without touching the others.
    dir = mkdtempSync(join(tmpdir(), 'mailgate-ready-'));
    pg = await startEmbeddedPostgres(dir, () => undefined);
    t = await startTestApp({
      db: { url: pg.url, name: 'mailgate', drop: async () => undefined },
    });
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while the database is down and 200 once it is back', async () => {
    expect((await http(t.baseUrl, 'GET', '/health/ready')).status).toBe(200);
    await pg.stop();
    const down = await waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', '/health/ready');
        return res.status === 503 ? res : undefined;
      },
      { what: 'ready=503' },
    );
    expect(down.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    // Liveness does not depend on the database.
    expect((await http(t.baseUrl, 'GET', '/health/live')).status).toBe(200);

    // Same port, so the app's pool finds the restarted server where it was.
    pg = await startEmbeddedPostgres(dir, () => undefined, { port: Number(new URL(pg.url).port) });
    await waitFor(async () => (await http(t.baseUrl, 'GET', '/health/ready')).status === 200, {
      what: 'ready=200 again',
      timeoutMs: 20_000,
    });
  });
});
