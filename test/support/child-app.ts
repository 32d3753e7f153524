import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/config/embedded-postgres';
import { TEST_ROOT_KEY, TEST_SECRET_KEY, waitFor } from './test-app';

export { freePort };

const ROOT = resolve(__dirname, '..', '..');
let built: string | undefined;

/** Compiles src + migrations once per jest worker (swc: about a second) for child processes. */
export function buildApp(): string {
  if (built !== undefined) {
    return built;
  }
  const out = join(ROOT, '.test-build', String(process.pid));
  rmSync(out, { recursive: true, force: true });
  const result = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'swc'),
    ['src', 'migrations', '-d', out, '--config-file', '.swcrc', '--quiet'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`swc build failed: ${result.stderr}`);
  }
  built = out;
  return out;
}

export interface ChildApp {
  child: ChildProcess;
  baseUrl: string;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills with SIGKILL if still running (cleanup). */
  dispose(): Promise<void>;
}

/** Runs the compiled gateway (`node dist/src/main.js`, as in production) as a child process. */
export async function startChildApp(
  env: Record<string, string>,
  { waitReady = true } = {},
): Promise<ChildApp> {
  const out = buildApp();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'mailgate-child-'));
  const child = spawn(process.execPath, [join(out, 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: String(port),
      MAILGATE_DATA_DIR: dataDir,
      MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
      MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) =>
    output.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  child.stderr?.on('data', (chunk: Buffer) =>
    output.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      rmSync(dataDir, { recursive: true, force: true });
      r({ code, signal });
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  if (waitReady) {
    await waitFor(
      async () => {
        if (child.exitCode !== null) {
          throw new Error(`child exited with ${child.exitCode}: ${output.slice(-20).join('\n')}`);
        }
        const res = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
        return res?.status === 200;
      },
      // The compiled app takes over 30 s to come up at a load of 16 on two shared cores.
      { timeoutMs: 90_000, what: 'the child gateway to be ready' },
    );
  }
  return {
    child,
    baseUrl,
    output,
    exited,
    dispose: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
