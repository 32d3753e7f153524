import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { query } from '../support/database';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

const ARTIFACTS = join(__dirname, '..', 'artifacts');
const SMTP_USER = 'mailer@example.test';
const SMTP_PASS = 'provider-pass';

/** The browser globals the spec reads in page.evaluate (the tsconfig has no DOM lib). */
interface PageGlobals {
  document: {
    querySelectorAll(selector: string): Iterable<{
      id: string;
      labels: { length: number } | null;
      getClientRects(): { length: number };
    }>;
    documentElement: { scrollWidth: number; clientWidth: number };
  };
}

describe('console: recipients, event timeline and suppression list in a real browser (issue 16)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let browser: Browser;
  let page: Page;
  let key: TestKey;
  const tenant = newTenantId();
  /** CSP violations and script errors: the console must cause none. */
  const problems: string[] = [];
  let messageId: string;

  async function screenshot(name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  /** How far the page is wider than the viewport (0 when nothing scrolls sideways). */
  function horizontalOverflow(): Promise<number> {
    return page.evaluate(() => {
      const root = (globalThis as unknown as PageGlobals).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
  }

  /** Ids of the visible form controls that have no <label>: there must be none. */
  function unlabelledControls(): Promise<string[]> {
    return page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      return [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.getClientRects().length > 0 && (el.labels?.length ?? 0) === 0)
        .map((el) => el.id || '(no id)');
    });
  }

  async function suppressed(email: string): Promise<string[]> {
    const res = await http(
      t.baseUrl,
      'GET',
      `/v1/suppressions?email=${encodeURIComponent(email)}`,
      {
        token: key.token,
      },
    );
    expect(res.status).toBe(200);
    return (res.body.data.items as Array<{ email: string }>).map((s) => s.email);
  }

  beforeAll(async () => {
    [smtp, t] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: SMTP_USER, pass: SMTP_PASS } }),
      startTestApp(),
    ]);
    key = await createKey(t, tenant);
    await configureSmtp(t, key.token, { port: smtp.port, user: SMTP_USER, pass: SMTP_PASS });
    // A real SMTP server that refuses one of the two recipients at RCPT TO.
    smtp.reply('RCPT', {
      code: 550,
      message: '5.1.1 No such user',
      recipient: 'ghost@example.test',
    });
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: anEmail({ subject: 'Partly refused', to: ['good@example.test', 'ghost@example.test'] }),
    });
    expect(res.status).toBe(202);
    messageId = res.body.data.id as string;
    await waitFor(
      async () => {
        const r = await http(t.baseUrl, 'GET', `/v1/emails/${messageId}`, { token: key.token });
        return r.body.data.status === 'bounced' ? true : undefined;
      },
      { timeoutMs: 15_000, what: 'the message to be bounced' },
    );
    expect(smtp.messages.map((m) => m.rcptTo)).toEqual([['good@example.test']]);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.type() === 'error') {
        problems.push(message.text());
      }
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  it("the message page shows each recipient's state and the timeline", async () => {
    // Signing in on a message's address lands on that message.
    await page.goto(`${t.baseUrl}/console#/messages/${messageId}`);
    await page.getByLabel('API key', { exact: true }).fill(key.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Partly refused' }).waitFor();

    const recipients = page.locator('#recipients');
    await recipients.waitFor();
    const good = recipients.locator('tr[data-recipient="good@example.test"]');
    const ghost = recipients.locator('tr[data-recipient="ghost@example.test"]');
    await expect(good.locator('td[data-label="State"]').textContent()).resolves.toBe('sent');
    await expect(ghost.locator('td[data-label="State"]').textContent()).resolves.toBe('bounced');
    await expect(ghost.locator('td[data-label="Detail"]').textContent()).resolves.toContain(
      '550 5.1.1 No such user',
    );

    await page.locator('#events-note', { hasText: '3 events.' }).waitFor();
    const rows = page.locator('#event-rows tr');
    await expect(
      rows.evaluateAll((trs) =>
        trs.map((tr) => (tr as unknown as { dataset: { event: string } }).dataset.event),
      ),
    ).resolves.toEqual(['accepted', 'sent', 'bounced']);
    const bounced = rows.nth(2);
    await expect(bounced.locator('td[data-label="Recipient"]').textContent()).resolves.toBe(
      'ghost@example.test',
    );
    await expect(bounced.locator('td[data-label="Detail"]').textContent()).resolves.toMatch(
      /hard bounce.*RCPT TO.*550/,
    );
    await screenshot('console-message-timeline');
    expect(problems).toEqual([]);
  });

  it('pages through a long timeline with the cursor', async () => {
    // 60 provider events more (opens reported later): the timeline spans two pages of 50.
    await query(
      t.db.url,
      `INSERT INTO email_events (tenant_id, message_id, recipient, type, occurred_at, source, data)
       SELECT $1, $2, 'good@example.test', 'opened', now() + n * interval '1 second', 'sendgrid', NULL
       FROM generate_series(1, 60) n`,
      [tenant, messageId],
    );
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await page.locator('#events-note', { hasText: '50 events, more to load.' }).waitFor();
    const more = page.getByRole('button', { name: 'Load more' });
    await expect(more.isEnabled()).resolves.toBe(true);
    await more.click();
    await page.locator('#events-note', { hasText: '63 events.' }).waitFor();
    await expect(page.locator('#event-rows tr').count()).resolves.toBe(63);
    await expect(more.isDisabled()).resolves.toBe(true);
    // Oldest first: the mailgate events lead, the last page ends with the newest open.
    await expect(page.locator('#event-rows tr').first().getAttribute('data-event')).resolves.toBe(
      'accepted',
    );
    expect(problems).toEqual([]);
  });

  it('the suppressions page finds the bounced address, removes it and adds another', async () => {
    await page.getByRole('link', { name: 'Suppressions', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Suppressions' }).waitFor();
    await expect(
      page.locator('a[data-nav="suppressions"]').getAttribute('aria-current'),
    ).resolves.toBe('page');
    await expect(unlabelledControls()).resolves.toEqual([]);

    // Found however the domain is written.
    await page.getByLabel('Search by address').fill('ghost@EXAMPLE.test');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('#suppressions-note', { hasText: '1 address on this page.' }).waitFor();
    const row = page.locator('#suppression-rows tr[data-email="ghost@example.test"]');
    await expect(row.locator('td[data-label="Reason"]').textContent()).resolves.toBe('hard_bounce');
    await expect(row.locator('td[data-label="Source"]').textContent()).resolves.toBe('smtp');
    await expect(row.getByRole('link').getAttribute('href')).resolves.toBe(
      `#/messages/${messageId}`,
    );
    await screenshot('console-suppressions');

    await page.getByRole('button', { name: 'Remove ghost@example.test' }).click();
    await page
      .locator('#suppressions-outcome', { hasText: 'Removed ghost@example.test' })
      .waitFor();
    await page
      .locator('#suppressions-note', { hasText: 'No suppressed address contains' })
      .waitFor();
    await expect(suppressed('ghost@example.test')).resolves.toEqual([]);

    // A bad address is refused with the field named; a good one is added.
    await page.getByLabel('Address', { exact: true }).fill('not an address');
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page.locator('#suppressions-outcome', { hasText: 'Not added' }).waitFor();
    await expect(page.locator('#suppressions-outcome').textContent()).resolves.toContain('email');
    await expect(
      page.getByLabel('Address', { exact: true }).getAttribute('aria-invalid'),
    ).resolves.toBe('true');

    await page.getByLabel('Address', { exact: true }).fill('Added@Example.TEST');
    await page.getByLabel('Reason').selectOption('complaint');
    await page.getByRole('button', { name: 'Suppress' }).click();
    await page
      .locator('#suppressions-outcome', { hasText: 'Suppressed Added@example.test' })
      .waitFor();
    // The search for the removed address still filters the list: clear it to see every address.
    await page.getByLabel('Search by address').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    const added = page.locator('#suppression-rows tr[data-email="Added@example.test"]');
    await expect(added.locator('td[data-label="Reason"]').textContent()).resolves.toBe('complaint');
    await expect(added.locator('td[data-label="Source"]').textContent()).resolves.toBe('api');
    await expect(suppressed('added@example.test')).resolves.toEqual(['Added@example.test']);
    // Chromium logs the one refused request (the bad address); nothing else may be logged.
    const refused = problems.filter((p) => /^Failed to load resource: .*status of 400/.test(p));
    expect(refused).toHaveLength(1);
    problems.splice(problems.indexOf(refused[0]), 1);
    expect(problems).toEqual([]);
  });

  it('the overview links to the suppressions page', async () => {
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByRole('link', { name: 'Suppressed addresses' }).click();
    await page.getByRole('heading', { level: 1, name: 'Suppressions' }).waitFor();
    await page.locator('#suppression-rows tr[data-email="Added@example.test"]').waitFor();
    expect(problems).toEqual([]);
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(horizontalOverflow()).resolves.toBeLessThanOrEqual(0);
    await page.goto(`${t.baseUrl}/console#/messages/${messageId}`);
    await page.locator('#event-rows tr').first().waitFor();
    await expect(horizontalOverflow()).resolves.toBeLessThanOrEqual(0);
    expect(problems).toEqual([]);
  });
});
