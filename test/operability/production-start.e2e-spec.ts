import { freePort, startChildApp, type ChildApp } from '../support/child-app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { http, TEST_ROOT_KEY, TEST_SECRET_KEY, waitFor } from '../support/test-app';

/**
 * The container's start path: `node dist/src/main.js` (swc build) with NODE_ENV=production.
 * An empty value unsets a variable startChildApp would otherwise provide.
 */
describe('production start (node dist/src/main.js, NODE_ENV=production)', () => {
  let db: TestDatabase;
  let smtpUrl: string;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // Never connected to at start: the built-in mailer connects when it first sends.
    smtpUrl = `smtp://127.0.0.1:${await freePort()}`;
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await db.drop();
  });

  async function refused(env: Record<string, string>): Promise<string> {
    const child = await startChildApp(
      { NODE_ENV: 'production', DATABASE_URL: db.url, ...env },
      { waitReady: false },
    );
    children.push(child);
    // Loading the compiled app takes 10 s at a load of 16 on two cores, twice that beside another suite.
    await waitFor(() => child.child.exitCode !== null, {
      timeoutMs: 60_000,
      what: 'the refused gateway to exit',
    });
    const exit = await child.exited;
    expect(exit).toEqual({ code: 1, signal: null });
    return child.output.join('\n');
  }

  it('refuses to start without MAILGATE_SECRET_KEY, naming it', async () => {
    const output = await refused({ MAILGATE_SECRET_KEY: '', BUILTIN_MAILER_URL: smtpUrl });
    expect(output).toMatch(/MAILGATE_SECRET_KEY is required in production/);
  });

  it('refuses to start without a built-in mailer, naming BUILTIN_MAILER_URL', async () => {
    const output = await refused({ BUILTIN_MAILER_URL: '' });
    expect(output).toMatch(/BUILTIN_MAILER_URL is required in production/);
  });

  it('refuses to start without DATABASE_URL (no embedded PostgreSQL in production)', async () => {
    const output = await refused({
      DATABASE_URL: '',
      MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
      BUILTIN_MAILER_URL: smtpUrl,
    });
    expect(output).toMatch(/DATABASE_URL is required in production/);
  });

  it('refuses capture:// as the built-in mailer', async () => {
    const output = await refused({ BUILTIN_MAILER_URL: 'capture://' });
    expect(output).toMatch(/BUILTIN_MAILER_URL must not be capture:\/\//);
  });

  it('starts with them: ready, metrics, docs and the root key; then stops cleanly on SIGTERM', async () => {
    const child = await startChildApp({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
      MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
      BUILTIN_MAILER_URL: smtpUrl,
    });
    children.push(child);
    const ready = await http(child.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect((await http(child.baseUrl, 'GET', '/health/live')).status).toBe(200);
    const metrics = await http(child.baseUrl, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^mailgate_queue_messages\{status="queued"\} 0$/m);
    expect((await http(child.baseUrl, 'GET', '/docs')).status).toBe(200);
    expect((await http(child.baseUrl, 'GET', '/docs/assets/swagger-ui-bundle.js')).status).toBe(
      200,
    );
    const keys = await http(child.baseUrl, 'GET', '/v1/api-keys', {
      token: TEST_ROOT_KEY,
      headers: { 'x-authing-userpool-id': 'prod-start-tenant' },
    });
    expect(keys.status).toBe(200);
    // Production never prints a development root key or the capture warning.
    expect(child.output.join('\n')).not.toMatch(/root API key \(development|capture:\/\//);

    child.child.kill('SIGTERM');
    await expect(child.exited).resolves.toEqual({ code: 0, signal: null });
  });
});
