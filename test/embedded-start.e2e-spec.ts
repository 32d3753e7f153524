import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildApp, type ChildApp } from './support/child-app';
import { waitFor } from './support/test-app';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('zero-setup start: no DATABASE_URL, embedded PostgreSQL', () => {
  let dataDir: string;
  let gw: ChildApp | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-embedded-'));
    // Like ./.data: reachable by the unprivileged user the cluster runs as under root.
    chmodSync(dataDir, 0o711);
  });
  afterAll(async () => {
    await gw?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts the gateway on an embedded cluster, reuses it on restart, and stops it on SIGTERM', async () => {
    for (const round of [1, 2]) {
      gw = await startChildApp({ MAILGATE_DATA_DIR: dataDir });
      const ready = await fetch(`${gw.baseUrl}/health/ready`);
      expect(ready.status).toBe(200);
      expect(gw.output.join('\n')).toContain('(embedded PostgreSQL)');
      const pidFile = join(dataDir, 'pg', 'postmaster.pid');
      expect(existsSync(pidFile)).toBe(true);
      const pgPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (round === 2) {
        // Second start: the cluster was reused, not initialised again.
        expect(gw.output.join('\n')).not.toContain('initialising the embedded PostgreSQL');
      }
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toEqual({ code: 0, signal: null });
      await waitFor(() => !processAlive(pgPid), { what: 'the embedded PostgreSQL to stop' });
    }
  }, 120_000);
});
