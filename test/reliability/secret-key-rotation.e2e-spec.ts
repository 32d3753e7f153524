import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.factory';
import type { ReadyEnv } from '../../src/config/env';
import { createLogger } from '../../src/common/logger';
import { loadEnv } from '../../src/config/env';
import { startChildApp, type ChildApp } from '../support/child-app';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, TEST_ROOT_KEY, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';

const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');
const IMPOSTOR = randomBytes(32).toString('base64');
const LOGIN = 'mailer@example.test';

/**
 * MAILGATE_SECRET_KEY rotates: a new key first, the old one kept to decrypt, keeps everything
 * readable across a restart. A key set that cannot read what is stored stops the start with a
 * message naming the variable and the key id, instead of serving 401s and broken configs.
 */
describe('reliability: MAILGATE_SECRET_KEY rotation and a wrong key', () => {
  let db: TestDatabase;
  let first: SmtpTestServer;
  let second: SmtpTestServer;
  const passes = {
    first: `first-${randomBytes(9).toString('hex')}`,
    second: `second-${randomBytes(9).toString('hex')}`,
  };
  const tenant = newTenantId();
  const open: TestApp[] = [];
  const children: ChildApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    [first, second] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: LOGIN, pass: passes.first } }),
      startSmtpTestServer({ tls: 'none', auth: { user: LOGIN, pass: passes.second } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.dispose()));
    await Promise.all(open.map((a) => a.close({ keepDatabase: true })));
    await Promise.all([first?.close(), second?.close()]);
    await db?.drop();
  });

  async function boot(secretKey: string): Promise<TestApp> {
    const app = await startTestApp({
      db,
      env: { MAILGATE_SECRET_KEY: secretKey, DISPATCH_RETRY_BASE_MS: '100' },
    });
    open.push(app);
    return app;
  }
  async function shut(app: TestApp): Promise<void> {
    open.splice(open.indexOf(app), 1);
    await app.close({ keepDatabase: true });
  }

  /** createApp + listen with this key set, as main.ts does; resolves to the start error. */
  async function failedStart(secretKey: string): Promise<Error> {
    const dataDir = mkdtempSync(join(tmpdir(), 'mailgate-wrong-key-'));
    const env = loadEnv({
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      MAILGATE_DATA_DIR: dataDir,
      MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
      MAILGATE_SECRET_KEY: secretKey,
    }) as ReadyEnv;
    const app = await createApp(env, createLogger({ level: 'silent' }));
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
    } catch (error) {
      return error as Error;
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
    throw new Error(`the gateway started with MAILGATE_SECRET_KEY=${secretKey.split(':')[0]}:…`);
  }

  function configure(app: TestApp, key: TestKey, server: SmtpTestServer, pass: string) {
    return http(app.baseUrl, 'POST', '/api/v3/config-email-provider', {
      token: key.token,
      body: {
        type: 'custom',
        enabled: true,
        smtpConfig: {
          smtp_host: '127.0.0.1',
          smtp_port: server.port,
          sender: LOGIN,
          senderPass: pass,
          secure: false,
        },
      },
    });
  }

  async function sends(app: TestApp, key: TestKey): Promise<void> {
    const res = await http(app.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: anEmail(),
      headers: { prefer: 'wait=15' },
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'sent', transport: 'provider:custom' });
  }

  async function keyIdsInUse(): Promise<string[]> {
    const rows = await query<{ id: string }>(
      db.url,
      `SELECT DISTINCT split_part(secret_ciphertext, ':', 1) AS id FROM api_keys WHERE revoked_at IS NULL
       UNION SELECT DISTINCT split_part(config->'smtpConfig'->>'senderPass', ':', 1) FROM email_provider_configs`,
    );
    return rows.map((r) => r.id).sort();
  }

  it('rotates without losing anything, and refuses to start with a key set that cannot read the data', async () => {
    // 1. Everything is written under key id "old".
    const a = await boot(`old:${OLD}`);
    const keyA = await createKey(a, tenant);
    expect((await configure(a, keyA, first, passes.first)).body.statusCode).toBe(200);
    await sends(a, keyA);
    await shut(a);
    expect(await keyIdsInUse()).toEqual(['old']);

    // 2. Rotated: "new" encrypts, "old" still decrypts. The key, the config and sending all work.
    const b = await boot(`new:${NEW},old:${OLD}`);
    const read = await http(b.baseUrl, 'GET', '/api/v3/get-email-provider', { token: keyA.token });
    expect(read.body).toMatchObject({
      statusCode: 200,
      data: { smtpConfig: { senderPass: '********' } },
    });
    const verified = await http(b.baseUrl, 'POST', '/api/v3/verify-email-provider', {
      token: keyA.token,
    });
    expect(verified.body.data).toMatchObject({ ok: true });
    await sends(b, keyA);
    await shut(b);

    // 3. Dropping "old" while data still uses it: the start fails, naming the variable and key id.
    const missing = await failedStart(`new:${NEW}`);
    expect(missing.message).toMatch(/MAILGATE_SECRET_KEY/);
    expect(missing.message).toMatch(/key id "old"/);
    expect(missing.message).toMatch(/api_keys/);
    expect(missing.message).toMatch(/email_provider_configs/);
    expect(missing.message).not.toContain(OLD);
    // ...and the production entry point exits 1 with that message.
    const child = await startChildApp(
      { DATABASE_URL: db.url, MAILGATE_SECRET_KEY: `new:${NEW}` },
      { waitReady: false },
    );
    children.push(child);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const output = child.output.join('\n');
    expect(output).toMatch(/MAILGATE_SECRET_KEY cannot read the secrets stored in the database/);
    expect(output).toMatch(/key id \\"old\\"/);
    expect(output).not.toContain(NEW);

    // 4. Finishing the rotation: save the config again, replace and revoke the old API key.
    const c = await boot(`new:${NEW},old:${OLD}`);
    expect((await configure(c, keyA, second, passes.second)).body.statusCode).toBe(200);
    const keyB = await createKey(c, tenant);
    const revoked = await http(c.baseUrl, 'DELETE', `/v1/api-keys/${keyA.id}`, {
      token: keyB.token,
    });
    expect(revoked.status).toBe(200);
    await shut(c);
    expect(await keyIdsInUse()).toEqual(['new']);

    // 5. Now "old" can go.
    const d = await boot(`new:${NEW}`);
    await sends(d, keyB);
    expect((await http(d.baseUrl, 'GET', '/v1/api-keys', { token: keyA.token })).status).toBe(401);
    await shut(d);

    // 6. A different key under the id "new" is caught too (GCM refuses it), not served as garbage.
    const impostor = await failedStart(`new:${IMPOSTOR}`);
    expect(impostor.message).toMatch(/MAILGATE_SECRET_KEY/);
    expect(impostor.message).toMatch(/"new" does not decrypt/);

    expect(first.messages.length).toBe(2);
    expect(second.messages.length).toBe(1);
  });
});
