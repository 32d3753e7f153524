import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { Agent, request as httpRequest } from 'node:http';
import { Worker } from 'node:worker_threads';
import {
  freePort,
  startEmbeddedPostgres,
  type EmbeddedDatabase,
} from '../src/config/embedded-postgres';

export { freePort };

export const ROOT = resolve(__dirname, '..', '..');
export const QUICK = process.env.BENCH_QUICK === '1';
export const ROOT_KEY = 'root_bench.bench-root-secret-0123456789abcdef';
export const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export async function poll<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) {
      return value;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs `task(0…total-1)`, `parallel` at a time. */
export async function inParallel(
  total: number,
  parallel: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) {
        const i = next;
        next += 1;
        await task(i);
      }
    }),
  );
}

/** The PostgreSQL server the bench uses: DATABASE_URL's, else an embedded one of its own. */
export interface BenchDatabaseServer {
  adminUrl: string;
  createDatabase(): Promise<string>;
  /** Flushes dirty buffers before a measured phase; needs a superuser or pg_checkpoint. */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

export async function databaseServer(): Promise<BenchDatabaseServer> {
  let embedded: EmbeddedDatabase | undefined;
  let dir: string | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined || adminUrl === '') {
    dir = mkdtempSync(join(tmpdir(), 'mailgate-bench-pg-'));
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o711);
    embedded = await startEmbeddedPostgres(dir, () => undefined);
    adminUrl = embedded.url;
    log('using an embedded PostgreSQL (set DATABASE_URL to use another)');
  }
  const created: string[] = [];
  const admin = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    adminUrl,
    createDatabase: async () => {
      const name = `mailgate_bench_${process.pid}_${created.length}`;
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
    checkpoint: () =>
      admin('CHECKPOINT').catch((error: Error) =>
        log(`no CHECKPOINT before the measured phase: ${error.message}`),
      ),
    close: async () => {
      for (const name of created) {
        await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      }
      await embedded?.stop();
      if (dir !== undefined) {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export interface Gateway {
  url: string;
  child: ChildProcess;
  readyMs: number;
  /** Peak resident set size so far (VmHWM), in MB. */
  peakRssMb(): number;
  stop(): Promise<void>;
}

/** Runs the compiled gateway (dist/src/main.js) as production would, on a database of its own. */
export async function startGateway(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<Gateway> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'mailgate-bench-data-'));
  const started = Date.now();
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the gateway.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      MAILGATE_DATA_DIR: dataDir,
      MAILGATE_ROOT_KEY: ROOT_KEY,
      MAILGATE_SECRET_KEY: SECRET_KEY,
      MAILGATE_RATE_LIMIT_RPS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await poll(
    async () => (await fetch(`${url}/health/ready`)).status === 200,
    30_000,
    'the gateway to be ready',
    10,
  );
  const readyMs = Date.now() - started;
  return {
    url,
    child,
    readyMs,
    peakRssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const match = /VmHWM:\s+(\d+) kB/.exec(status);
      return match === null ? 0 : Math.round(Number(match[1]) / 1024);
    },
    stop: () =>
      new Promise((resolveStop) => {
        child.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolveStop();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface Sink {
  port: number;
  /** Messages accepted (every attempt). */
  count: number;
  /** Distinct Message-IDs accepted. */
  readonly distinct: number;
  /** Accepts of a Message-ID already seen (at-least-once repeats). */
  readonly duplicates: number;
  /** SendGrid sink: bodies refused with 400 by the tests' mail/send validation (mailgate's bug). */
  readonly invalid: number;
  /** Zeroes the counters and forgets the Message-IDs seen. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface SinkOptions {
  /** `smtp` (default) or a SendGrid v3 `mail/send` endpoint. */
  kind?: 'smtp' | 'sendgrid';
  /** Holds every answer this long (a distant provider); 0 by default. */
  delayMs?: number;
}

/** A sink on loopback, in a thread of its own (bench/sink-worker.ts), that counts what it accepts. */
export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const counter = new Int32Array(new SharedArrayBuffer(16));
  const worker = new Worker(join(__dirname, 'sink-worker.js'), {
    workerData: {
      counter: counter.buffer,
      kind: options.kind ?? 'smtp',
      delayMs: options.delayMs ?? 0,
    },
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    worker.once('message', (m: { port: number }) => resolvePort(m.port));
    worker.once('error', reject);
  });
  return {
    port,
    get count() {
      return Atomics.load(counter, 0);
    },
    set count(value: number) {
      Atomics.store(counter, 0, value);
    },
    get distinct() {
      return Atomics.load(counter, 1);
    },
    get duplicates() {
      return Atomics.load(counter, 2);
    },
    get invalid() {
      return Atomics.load(counter, 3);
    },
    reset: () =>
      new Promise((r) => {
        worker.once('message', () => r());
        worker.postMessage('reset');
      }),
    close: () =>
      new Promise((r) => {
        worker.once('exit', () => r());
        worker.postMessage('close');
      }),
  };
}

/** A ~2 KB message with text and HTML alternatives. */
export function message(i: number): Record<string, unknown> {
  const line = 'Your verification code is 482913. It expires in ten minutes. ';
  return {
    to: [{ name: 'Bench User', email: `user${i}@example.test` }],
    subject: `Sign-in code ${i}`,
    text: line.repeat(12),
    html: `<p>${line.repeat(12)}</p>`,
  };
}

export async function json(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const parsed = (await res.json()) as { statusCode: number };
  if (parsed.statusCode >= 300) {
    throw new Error(`${method} ${url} answered ${JSON.stringify(parsed)}`);
  }
  return parsed;
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * POSTs JSON over a keep-alive agent and resolves with the status: a lighter client than fetch,
 * so the load generator takes less of the two cores it shares with the gateway and PostgreSQL.
 */
export function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent: keepAlive,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolvePost(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

export interface TenantOptions {
  /** Tenant id (x-authing-userpool-id); `bench-tenant` by default. */
  tenant?: string;
  /** `smtp` (custom SMTP at the sink's port, default) or `sendgrid` (the gateway's SENDGRID_API_URL). */
  provider?: 'smtp' | 'sendgrid';
  /** The config's `concurrency` extension; the type's defaults when absent. */
  concurrency?: { maxConnections?: number; maxMessagesPerConnection?: number };
  /** SendGrid only: the Event Webhook's verification key (base64 SPKI). */
  webhookVerificationKey?: string;
}

/** A tenant with an API key and a provider pointing at the sink. */
export async function setupTenant(
  gatewayUrl: string,
  sinkPort: number,
  options: TenantOptions = {},
): Promise<string> {
  const root = {
    authorization: `Bearer ${ROOT_KEY}`,
    'x-authing-userpool-id': options.tenant ?? 'bench-tenant',
  };
  const key = await json(
    `${gatewayUrl}/v1/api-keys`,
    'POST',
    { name: 'bench', scopes: ['email:send', 'email:read', 'provider:write'] },
    root,
  );
  const token = key.data.token as string;
  const provider =
    options.provider === 'sendgrid'
      ? {
          type: 'sendgrid',
          sendGridConfig: {
            sender: 'bench@example.test',
            apikey: 'SG.bench-key-0123456789',
            ...(options.webhookVerificationKey === undefined
              ? {}
              : { webhookVerificationKey: options.webhookVerificationKey }),
          },
        }
      : {
          type: 'custom',
          smtpConfig: {
            smtp_host: '127.0.0.1',
            smtp_port: sinkPort,
            sender: 'bench@example.test',
            senderPass: 'x',
            secure: false,
          },
        };
  await json(
    `${gatewayUrl}/api/v3/config-email-provider`,
    'POST',
    {
      ...provider,
      enabled: true,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    },
    { authorization: `Bearer ${token}` },
  );
  return token;
}
