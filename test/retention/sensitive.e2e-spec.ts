import { chromium } from 'playwright-core';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { dumpDatabase } from '../support/pg-dump';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, TEST_SECRET_KEY, waitFor, type TestApp } from '../support/test-app';

/** A one-time code as an identity platform sends it. */
const CODE = '493817';
const CODE_B64 = Buffer.from(`your code is ${CODE}`).toString('base64');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface EmailData {
  id: string;
  status: string;
  subject: string | null;
  sensitive: boolean;
  content: string;
  contentPurgedAt: string | null;
  finishedAt: string | null;
  capturedMime?: string;
}

function codeMessage(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return anEmail({
    subject: `${CODE} is your sign-in code`,
    text: `Your code is ${CODE}`,
    html: `<p>Your code is <b>${CODE}</b></p>`,
    attachments: [{ filename: 'code.txt', content: CODE_B64, contentType: 'text/plain' }],
    headers: { 'X-Sign-In-Code': CODE },
    sensitive: true,
    ...overrides,
  });
}

describe('sensitive messages: sealed while waiting, gone once final (issue 23)', () => {
  let relay: SmtpTestServer;
  let mailer: Record<string, string>;
  const apps: TestApp[] = [];
  const databases: TestDatabase[] = [];

  async function app(env: Record<string, string>, db?: TestDatabase): Promise<TestApp> {
    const started = await startTestApp({ db, env: { ...mailer, ...env } });
    apps.push(started);
    return started;
  }

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  }

  async function finalEmail(t: TestApp, key: TestKey, id: string): Promise<EmailData> {
    return waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        const data = res.body.data as EmailData;
        return data.status === 'queued' || data.status === 'sending' ? undefined : data;
      },
      { timeoutMs: 20_000, what: `email ${id} to be final` },
    );
  }

  beforeAll(async () => {
    relay = await startSmtpTestServer({
      tls: 'none',
      auth: { user: 'relay-user', pass: 'relay-pass' },
    });
    mailer = {
      BUILTIN_MAILER_URL: `smtp://relay-user:relay-pass@127.0.0.1:${relay.port}`,
      BUILTIN_MAIL_FROM: 'gateway@builtin.test',
      DISPATCH_RETRY_BASE_MS: '100',
    };
  });
  afterAll(async () => {
    for (const t of apps.reverse()) {
      await t.close({ keepDatabase: true });
    }
    await Promise.all(databases.map((db) => db.drop()));
    await relay.close();
  });
  beforeEach(() => relay.reset());

  it('keeps the code out of the database while queued, sends it, then keeps none of it', async () => {
    const db = await database();
    // No dispatcher: the messages wait in the outbox for as long as the test looks at them.
    const api = await app({ MAILGATE_ROLE: 'api' }, db);
    const key = await createKey(api, newTenantId());

    const single = await http(api.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: codeMessage(),
    });
    expect(single.status).toBe(202);
    const batch = await http(api.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: { messages: [codeMessage({ to: 'bob@example.test' }), anEmail({ text: 'plain' })] },
    });
    expect(batch.status).toBe(202);
    const keyed = codeMessage({ to: 'carol@example.test' });
    const first = await http(api.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      headers: { 'idempotency-key': 'code-1' },
      body: keyed,
    });
    const replay = await http(api.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      headers: { 'idempotency-key': 'code-1' },
      body: keyed,
    });
    expect(replay.status).toBe(200);
    expect(replay.body.data.id).toBe(first.body.data.id);
    const otherBody = await http(api.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      headers: { 'idempotency-key': 'code-1' },
      body: codeMessage({ to: 'carol@example.test', text: 'Your code is 111111' }),
    });
    expect(otherBody.status).toBe(409);

    const sensitiveIds = [
      single.body.data.id as string,
      batch.body.data.results[0].id as string,
      first.body.data.id as string,
    ];
    const plainId = batch.body.data.results[1].id as string;
    const rows = await query<{ id: string; sensitive: boolean; sealed: boolean; hash: string }>(
      db.url,
      `SELECT id, sensitive, payload ? 'sealed' AS sealed, coalesce(request_hash, '') AS hash
         FROM email_messages WHERE status = 'queued'`,
    );
    expect(rows.filter((r) => r.sensitive).map((r) => r.id)).toEqual(
      expect.arrayContaining(sensitiveIds),
    );
    expect(rows.every((r) => r.sensitive === r.sealed)).toBe(true);
    expect(rows.find((r) => r.id === plainId)?.sensitive).toBe(false);
    // A plain SHA-256 of a body would give the code away in a million guesses: keyed instead.
    expect(rows.find((r) => r.id === first.body.data.id)?.hash).toMatch(/^hmac:k1:[0-9a-f]{64}$/);

    const waiting = await dumpDatabase(db.url);
    expect(waiting).toContain('email_messages');
    expect(waiting).toContain('plain'); // the plain message's body is there: the dump sees content
    expect(waiting).not.toContain(CODE);
    expect(waiting).not.toContain(CODE_B64);

    for (const id of sensitiveIds) {
      const res = await http(api.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
      expect(res.body.data).toMatchObject({
        status: 'queued',
        subject: null,
        sensitive: true,
        content: 'sealed',
        contentPurgedAt: null,
      });
      expect(res.text).not.toContain(CODE);
    }
    const list = await http(api.baseUrl, 'GET', '/v1/emails', { token: key.token });
    expect(list.body.data.items).toHaveLength(4);
    expect(list.text).not.toContain(CODE);

    // The console shows what the API shows: metadata only.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(`${api.baseUrl}/console`);
      await page.getByLabel('API key', { exact: true }).fill(key.token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#provider-form').waitFor();
      await page.goto(`${api.baseUrl}/console#/messages/${sensitiveIds[0]}`);
      await page.getByText('Sensitive: encrypted, removed when final').waitFor();
      await expect(page.locator('h1').textContent()).resolves.toBe('(sensitive message)');
      expect(await page.content()).not.toContain(CODE);
      await page.goto(`${api.baseUrl}/console#/messages`);
      await page.getByText('(sensitive message)').first().waitFor();
      expect(await page.content()).not.toContain(CODE);
    } finally {
      await browser.close();
    }

    // A dispatcher after a key rotation: the new key first, the one that sealed them kept.
    const worker = await app(
      { MAILGATE_SECRET_KEY: `k2:${Buffer.alloc(32, 9).toString('base64')},k1:${TEST_SECRET_KEY}` },
      db,
    );
    for (const id of [...sensitiveIds, plainId]) {
      const done = await finalEmail(worker, key, id);
      expect(done.status).toBe('sent');
    }
    // Opened to send: the recipient got every part of it.
    const received = await relay.waitForMessages(4);
    const coded = received.filter((m) => m.parsed.subject === `${CODE} is your sign-in code`);
    expect(coded).toHaveLength(3);
    for (const m of coded) {
      expect(m.parsed.text).toContain(CODE);
      expect(m.parsed.html).toContain(`<b>${CODE}</b>`);
      expect(m.parsed.headers.get('x-sign-in-code')).toBe(CODE);
      expect(m.parsed.attachments[0].content.toString()).toBe(`your code is ${CODE}`);
    }

    for (const id of sensitiveIds) {
      const res = await http(worker.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
      const data = res.body.data as EmailData;
      expect(data).toMatchObject({ status: 'sent', subject: null, content: 'purged' });
      expect(Date.parse(data.contentPurgedAt!)).toBeGreaterThanOrEqual(
        Date.parse(data.finishedAt!),
      );
      expect(data.capturedMime).toBeUndefined();
      expect(res.text).not.toContain(CODE);
    }
    const plain = await http(worker.baseUrl, 'GET', `/v1/emails/${plainId}`, { token: key.token });
    expect(plain.body.data).toMatchObject({ content: 'stored', contentPurgedAt: null });

    const sent = await dumpDatabase(db.url);
    expect(sent).not.toContain(CODE);
    expect(sent).not.toContain(CODE_B64);
    const left = await query<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM email_messages
        WHERE sensitive AND (payload ? 'sealed' OR payload ? 'subject' OR captured_mime IS NOT NULL)`,
    );
    expect(left[0].n).toBe(0);

    const logs = [...api.logs, ...worker.logs].join('\n');
    expect(logs).toContain('dispatcher started');
    expect(logs).not.toContain(CODE);
    expect(logs).not.toContain(CODE_B64);
  });

  it('removes the content when a sensitive message fails, and refuses to retry it', async () => {
    // One attempt, refused for a while: the message fails (not a recipient's bounce).
    const t = await app({ DISPATCH_MAX_ATTEMPTS: '1' }, await database());
    const key = await createKey(t, newTenantId());
    relay.reply('MAIL', { code: 451, message: '4.3.0 Try again later', times: 5 });
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: codeMessage(),
    });
    const failed = await finalEmail(t, key, res.body.data.id as string);
    expect(failed).toMatchObject({ status: 'failed', content: 'purged', subject: null });
    expect(failed.contentPurgedAt).not.toBeNull();

    const retry = await http(t.baseUrl, 'POST', `/v1/emails/${failed.id}/retry`, {
      token: key.token,
    });
    expect(retry.status).toBe(409);
    expect(retry.body.message).toMatch(/content of this email was purged/);
    expect(await dumpDatabase(t.db.url)).not.toContain(CODE);
    expect(t.logs.join('\n')).not.toContain(CODE);
  });

  it('refuses a sensitive flag that is not a boolean, naming the field', async () => {
    const t = await app({ MAILGATE_ROLE: 'api' }, await database());
    const key = await createKey(t, newTenantId());
    const single = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: anEmail({ sensitive: 'yes' }),
    });
    expect(single.status).toBe(400);
    expect(single.body.data.errors).toEqual([
      { field: 'sensitive', messages: ['must be true or false'] },
    ]);
    const batch = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: { messages: [anEmail({ sensitive: 1 })] },
    });
    expect(batch.status).toBe(400);
    expect(batch.body.data.errors).toEqual([
      { field: 'messages.0.sensitive', messages: ['must be true or false'] },
    ]);
  });
});
