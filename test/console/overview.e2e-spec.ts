import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { anEmail, createKey, newTenantId, rootHeaders, type TestKey } from '../factories/emails';
import { query } from '../support/database';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { http, startTestApp, TEST_ROOT_KEY, type TestApp } from '../support/test-app';

const ARTIFACTS = join(__dirname, '..', 'artifacts');
const DOCS = join(__dirname, '..', '..', 'docs');
const MINUTE = 60_000;

/** What a chart's canvas holds: its size and how many pixels are not blank. */
interface CanvasInk {
  width: number;
  height: number;
  inked: number;
}

describe('console overview in a real browser (issue 19)', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let busy: TestKey;
  const busyTenant = newTenantId();
  const quietTenant = newTenantId();
  const problems: string[] = [];

  /** A tenant with a history: 5 sent, one deferred then failed, one bounced, one queued. */
  async function seed(): Promise<string[]> {
    const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: busy.token,
      body: { messages: Array.from({ length: 8 }, () => anEmail()) },
    });
    expect(res.status).toBe(202);
    const ids = (res.body.data.results as Array<{ id: string }>).map((r) => r.id);
    // One clock reading for the whole seed: the messages meant for one minute's bucket stay in
    // it even when a slow machine takes seconds over these statements.
    const now = Date.now();
    const ago = (ms: number): Date => new Date(now - ms);
    for (const [i, when] of [3, 3, 3, 10, 10].entries()) {
      await query(
        t.db.url,
        `UPDATE email_messages SET status = 'sent', created_at = $2, sent_at = $3 WHERE id = $1`,
        [ids[i], ago(when * MINUTE + 250), ago(when * MINUTE)],
      );
      await query(
        t.db.url,
        `INSERT INTO email_events (tenant_id, message_id, type, occurred_at, created_at, source)
         VALUES ($1, $2, 'sent', $3, $3, 'mailgate')`,
        [busyTenant, ids[i], ago(when * MINUTE)],
      );
    }
    await query(
      t.db.url,
      `UPDATE email_messages SET status = 'failed' WHERE id = ANY($1::uuid[])`,
      [[ids[5], ids[6]]],
    );
    for (const [id, type, data] of [
      [ids[5], 'deferred', { errorClass: 'transient', code: 'ETIMEDOUT' }],
      [ids[5], 'failed', { errorClass: 'transient', code: 'ETIMEDOUT' }],
      [ids[6], 'bounced', { bounceType: 'hard', smtpCode: 550 }],
    ] as const) {
      await query(
        t.db.url,
        `INSERT INTO email_events (tenant_id, message_id, type, occurred_at, created_at, source, data)
         VALUES ($1, $2, $3, $4, $4, 'mailgate', $5)`,
        [busyTenant, id, type, ago(5 * MINUTE), data],
      );
    }
    return ids;
  }

  async function signIn(token: string, tenant = ''): Promise<void> {
    await page.goto(`${t.baseUrl}/console`);
    await page.getByLabel('API key', { exact: true }).fill(token);
    await page.getByLabel('Tenant (root key only)', { exact: true }).fill(tenant);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.locator('#chart-sent canvas').waitFor();
  }

  function chartInk(outcome: string): Promise<CanvasInk> {
    return page.locator(`#chart-${outcome} canvas`).evaluate((node) => {
      const canvas = node as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let i = 3; i < data.length; i += 4) {
        if (data[i] !== 0) {
          inked += 1;
        }
      }
      return { width: canvas.width, height: canvas.height, inked };
    });
  }

  beforeAll(async () => {
    t = await startTestApp({ env: { MAILGATE_ROLE: 'api' } });
    [busy] = await Promise.all([createKey(t, busyTenant), createKey(t, quietTenant)]);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      if (m.type() === 'error') {
        problems.push(m.text());
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('is the landing page and shows the seeded numbers; every chart drew', async () => {
    const ids = await seed();
    await signIn(busy.token);
    await page.locator('[data-testid="total-sent"]').waitFor();
    expect(await page.locator('[data-testid="total-sent"]').textContent()).toBe('5');
    expect(await page.locator('[data-testid="total-deferred"]').textContent()).toBe('1');
    expect(await page.locator('[data-testid="total-failed"]').textContent()).toBe('1');
    expect(await page.locator('[data-testid="total-bounced"]').textContent()).toBe('1');
    expect(await page.locator('[data-testid="queue-value"]').textContent()).toBe('1');
    expect(await page.locator('[data-testid="latency-value"]').textContent()).toBe('p50 250 ms');
    expect(await page.locator('#provider').textContent()).toContain('built-in mailer');
    for (const outcome of ['sent', 'deferred', 'failed', 'bounced']) {
      const figure = page.locator(`#chart-${outcome}`);
      expect(await figure.getAttribute('data-points')).toBe('60');
      const ink = await chartInk(outcome);
      expect(ink.width).toBeGreaterThan(200);
      // Axes, grid and the series line: a drawn chart, not an empty canvas.
      expect(ink.inked).toBeGreaterThan(500);
    }
    const sentLabel = await page.locator('#chart-sent').getAttribute('aria-label');
    expect(sentLabel).toBe('Sent: 5 in the last 1h, peak 3');
    // The top errors link to an example message.
    const rows = page.locator('#top-errors tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('td').first().textContent()).toBe('ETIMEDOUT');
    expect(await rows.first().locator('a').getAttribute('href')).toBe(`#/messages/${ids[5]}`);
    await rows.first().locator('a').click();
    // The message page titles itself with the subject once loaded.
    await page.locator('#message-detail', { hasText: ids[5] }).waitFor();
    // The 24 h view: hourly buckets, same totals.
    await page.goto(`${t.baseUrl}/console#/overview?window=24h`);
    await page.locator('#chart-sent[data-points="24"]').waitFor();
    expect(await page.locator('[data-testid="total-sent"]').textContent()).toBe('5');
    await page.goto(`${t.baseUrl}/console#/overview`);
    await page.locator('#chart-bounced canvas').waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png'), fullPage: true });
    if (process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
      copyFileSync(join(ARTIFACTS, 'console-overview.png'), join(DOCS, 'console-overview.png'));
    }
  });

  it('works with no data at all', async () => {
    const quiet = await createKey(t, quietTenant);
    await page.evaluate(() =>
      (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
    );
    await signIn(quiet.token);
    await page.locator('#top-errors-empty').waitFor();
    for (const outcome of ['sent', 'deferred', 'failed', 'bounced']) {
      expect(await page.locator(`[data-testid="total-${outcome}"]`).textContent()).toBe('0');
      expect((await chartInk(outcome)).inked).toBeGreaterThan(100);
    }
    expect(await page.locator('[data-testid="latency-value"]').textContent()).toBe('p50 —');
  });

  it('a key revoked while the overview is open leads back to sign-in', async () => {
    const doomed = await createKey(t, quietTenant);
    await page.evaluate(() =>
      (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
    );
    await signIn(doomed.token);
    const revoked = await http(t.baseUrl, 'DELETE', `/v1/api-keys/${doomed.id}`, {
      headers: rootHeaders(quietTenant),
    });
    expect(revoked.status).toBe(200);
    // The next refresh (every 10 s) is refused: the console signs out by itself.
    await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('main').textContent()).toMatch(/Signed out/);
    // The refused refresh is the only error the browser saw.
    expect(problems.splice(0).every((p) => /status of 401/.test(p))).toBe(true);
  });

  it('root: every tenant, trouble first, and a tenant switch without signing out', async () => {
    await signIn(TEST_ROOT_KEY, quietTenant);
    const table = page.locator('#all-tenants tbody tr');
    await table.first().waitFor();
    expect(await table.first().getAttribute('data-tenant')).toBe(busyTenant);
    expect(await page.locator('#session-tenant').textContent()).toBe(`Tenant ${quietTenant}`);
    await table.first().getByRole('button', { name: busyTenant }).click();
    await page.locator('#session-tenant', { hasText: busyTenant }).waitFor();
    await page.locator('[data-testid="total-sent"]', { hasText: '5' }).waitFor();
    // The switcher in the top bar does the same.
    await page.locator('#tenant-switch-input').fill(quietTenant);
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.locator('#session-tenant', { hasText: quietTenant }).waitFor();
    await page.locator('[data-testid="total-sent"]', { hasText: '0' }).waitFor();
    expect(problems).toEqual([]);
  });
});
