import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import type { AppOverrides } from '../../src/app.module';
import { createLogger } from '../../src/common/logger';
import { loadEnv, type ReadyEnv } from '../../src/config/env';
import { createTestDatabase, type TestDatabase } from './database';

/** Fixed test credentials: never used outside tests. */
export const TEST_ROOT_KEY = 'root_test.rootsecret-for-tests-only-0123456789';
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  env: ReadyEnv;
  db: TestDatabase;
  /** Every JSON log line the app wrote. */
  logs: string[];
  /** Closes the app; drops the database unless `keepDatabase`. */
  close(options?: { keepDatabase?: boolean }): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment variables (strings, as in process.env). */
  env?: Record<string, string>;
  /** Reuse an existing test database (e.g. a second replica). */
  db?: TestDatabase;
  /** Non-configuration wiring, e.g. `{ transports: { smtp: { tls: { ca } } } }` to trust a test CA. */
  overrides?: AppOverrides;
}

/** Boots the real AppModule over HTTP on 127.0.0.1 against its own database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.db ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), 'mailgate-app-'));
  const env = loadEnv({
    NODE_ENV: 'development',
    DATABASE_URL: db.url,
    MAILGATE_DATA_DIR: dataDir,
    MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
    MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
    BUILTIN_MAILER_URL: 'capture://',
    ...options.env,
  }) as ReadyEnv;
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      callback();
    },
  });
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'debug', destination });
  const app = await createApp(env, logger, options.overrides);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    baseUrl,
    env,
    db,
    logs,
    close: async ({ keepDatabase = false } = {}) => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
      if (!keepDatabase && options.db === undefined) {
        await db.drop();
      }
    },
  };
}

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Small fetch wrapper: JSON in, JSON (or text) out, never throws on an HTTP status. */
export async function http<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    body?: unknown;
    rawBody?: string | Buffer;
    headers?: Record<string, string>;
    token?: string;
  } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Buffer | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (options.token !== undefined) {
    headers.authorization = `Bearer ${options.token}`;
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (metrics, docs UI): keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

/** Polls until `check` returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) {
        return value;
      }
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}
