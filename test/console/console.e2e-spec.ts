import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SECRET_MASK } from '../../src/provider-config/provider-config.constants';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import { query } from '../support/database';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { http, startTestApp, TEST_ROOT_KEY, waitFor, type TestApp } from '../support/test-app';

const ARTIFACTS = join(__dirname, '..', 'artifacts');
const DOCS = join(__dirname, '..', '..', 'docs');

interface EmailData {
  id: string;
  status: string;
  transport: string | null;
  fallbackReason: string | null;
  attemptCount: number;
}

/** The browser globals the spec reads in page.evaluate (the tsconfig has no DOM lib). */
interface PageGlobals {
  document: {
    activeElement: { id: string } | null;
    querySelectorAll(selector: string): Iterable<{
      id: string;
      labels: { length: number } | null;
      getClientRects(): { length: number };
    }>;
    documentElement: { scrollWidth: number; clientWidth: number };
  };
  sessionStorage: { length: number; getItem(key: string): string | null };
  localStorage: { length: number };
}

/** Screenshots go to test/artifacts/ (git-ignored); UPDATE_DOCS_SCREENSHOTS=1 refreshes docs/. */
async function screenshot(page: Page, name: string, docs = false): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  if (docs && process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
    mkdirSync(DOCS, { recursive: true });
    copyFileSync(path, join(DOCS, `${name}.png`));
  }
}

describe('admin console in a real browser (issue 9)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let key: TestKey;
  const tenantA = newTenantId();
  const tenantB = newTenantId();
  /** CSP violations and script errors: the console must cause none. */
  const problems: string[] = [];

  const consoleUrl = (): string => `${t.baseUrl}/console`;

  /** Polls GET /v1/emails/:id until the message is sent or failed. */
  async function finalEmail(headers: Record<string, string>, id: string): Promise<EmailData> {
    return waitFor(
      async () => {
        const res = await http<{ data?: EmailData }>(t.baseUrl, 'GET', `/v1/emails/${id}`, {
          headers,
        });
        const status = res.body.data?.status;
        return status === 'queued' || status === 'sending' ? undefined : res.body.data;
      },
      { timeoutMs: 15_000, what: `email ${id} to be final` },
    );
  }

  async function savedConfig(headers: Record<string, string>): Promise<unknown> {
    const res = await http<{ data: unknown }>(t.baseUrl, 'GET', '/api/v3/get-email-provider', {
      headers,
    });
    return res.body.data;
  }

  /** POST /v1/emails; the accepted message's id. */
  async function sendEmail(headers: Record<string, string>, body: unknown): Promise<string> {
    const res = await http<{ data: { id: string } }>(t.baseUrl, 'POST', '/v1/emails', {
      headers,
      body,
    });
    expect(res.status).toBe(202);
    return res.body.data.id;
  }

  /** Id of the element that has the focus in the page. */
  function focusedId(): Promise<string | undefined> {
    return page.evaluate(() => (globalThis as unknown as PageGlobals).document.activeElement?.id);
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

  /** Ids of the inputs of the shown provider block. */
  async function visibleInputs(): Promise<Array<string | null>> {
    const inputs = await page.locator('fieldset.block:not([hidden]) input').all();
    return Promise.all(inputs.map((input) => input.getAttribute('id')));
  }

  async function signIn(token: string, tenant = ''): Promise<void> {
    // The landing page is the overview (its own spec); these tests start on the provider page.
    await page.goto(`${consoleUrl()}#/provider`);
    await page.getByLabel('API key', { exact: true }).fill(token);
    await page.getByLabel('Tenant (root key only)', { exact: true }).fill(tenant);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Email provider' }).waitFor();
    await page.locator('#provider-form').waitFor();
  }

  async function save(): Promise<void> {
    await page.getByRole('button', { name: 'Save', exact: true }).click();
  }

  beforeAll(async () => {
    [smtp, t] = await Promise.all([
      startSmtpTestServer({
        tls: 'none',
        auth: { user: 'mailer@example.test', pass: 'smtp-pass' },
      }),
      startTestApp({
        env: { BUILTIN_MAILER_URL: 'capture://', BUILTIN_MAIL_FROM: 'gw@capture.test' },
      }),
    ]);
    key = await createKey(t, tenantA);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
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

  it('serves the page with caching headers, a strict CSP and only its own files', async () => {
    const index = await http(t.baseUrl, 'GET', '/console');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('content-encoding')).toBe('gzip');
    // Nothing from outside hosts, no inline script.
    expect(index.text).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(index.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);

    const etag = index.headers.get('etag')!;
    const again = await http(t.baseUrl, 'GET', '/console', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);

    const appJs = /src="(\/console\/assets\/([0-9a-f]{16})\/app\.js)"/.exec(index.text);
    expect(appJs).not.toBeNull();
    const [, appUrl, build] = appJs!;
    const asset = await http(t.baseUrl, 'GET', appUrl);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.text).toContain('renderProvider');
    const css = await http(t.baseUrl, 'GET', `/console/assets/${build}/console.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');

    for (const path of [
      `/console/assets/${build}/..%2f..%2fpackage.json`,
      `/console/assets/${build}/%2e%2e%2f%2e%2e%2fpackage.json`,
      `/console/assets/${build}/index.html`,
      `/console/assets/${build}/.eslintrc.js`,
      `/console/assets/0000000000000000/app.js`,
      '/console/assets/../../package.json',
      '/console/package.json',
    ]) {
      const res = await http(t.baseUrl, 'GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
    const slash = await fetch(`${t.baseUrl}/console/`, { redirect: 'manual' });
    expect(slash.status).toBe(308);
    expect(slash.headers.get('location')).toBe('/console');
  });

  it('signs in with an API key kept for the tab only, never in the URL', async () => {
    await page.goto(consoleUrl());
    await page.getByLabel('API key', { exact: true }).fill(`${key.id}.not-the-secret`);
    await expect(unlabelledControls()).resolves.toEqual([]);
    await screenshot(page, 'console-signin');
    await page.getByLabel('API key', { exact: true }).press('Enter');
    await page.locator('#token-error').filter({ hasText: 'refused' }).waitFor();
    await expect(
      page.getByLabel('API key', { exact: true }).getAttribute('aria-invalid'),
    ).resolves.toBe('true');

    await signIn(key.token);
    const storage = await page.evaluate(() => {
      const { sessionStorage, localStorage } = globalThis as unknown as PageGlobals;
      return {
        session: sessionStorage.getItem('mailgate.console.session') ?? '',
        local: localStorage.length,
      };
    });
    expect(storage.session).toContain(key.token);
    expect(storage.local).toBe(0);
    expect(page.url()).not.toContain(key.secret);
    await page.getByText('No provider is configured').waitFor();
  });

  it('configures custom SMTP, shows server validation at the field, verifies and sends a test email', async () => {
    await page.getByLabel('Custom SMTP', { exact: true }).check();
    await page.getByLabel('SMTP host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('SMTP port', { exact: true }).fill('70000');
    await page.locator('#smtpConfig-sender').fill('mailer@example.test');
    await page.getByLabel('SMTP password', { exact: true }).fill('smtp-pass');
    await page.getByLabel('Implicit TLS (secure)', { exact: true }).uncheck();
    await save();

    const portError = page.locator('[data-field="smtpConfig.smtp_port"] .field-error');
    await portError.filter({ hasText: '65535' }).waitFor();
    await expect(
      page.getByLabel('SMTP port', { exact: true }).getAttribute('aria-invalid'),
    ).resolves.toBe('true');
    await expect(focusedId()).resolves.toBe('smtpConfig-smtp_port');
    await screenshot(page, 'console-provider-validation');

    await page.getByLabel('SMTP port', { exact: true }).fill(String(smtp.port));
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Saved: version 1' }).waitFor();
    await expect(portError.isHidden()).resolves.toBe(true);
    const headers = { authorization: `Bearer ${key.token}` };
    await expect(savedConfig(headers)).resolves.toMatchObject({
      type: 'custom',
      enabled: true,
      smtpConfig: { smtp_host: '127.0.0.1', smtp_port: smtp.port, senderPass: SECRET_MASK },
    });

    // The stored secret shows as the mask, read-only, with a replace control.
    const password = page.getByLabel('SMTP password', { exact: true });
    await expect(password.inputValue()).resolves.toBe(SECRET_MASK);
    await expect(password.getAttribute('readonly')).resolves.not.toBeNull();
    await page.getByRole('button', { name: 'Replace SMTP password' }).waitFor();

    await page.getByRole('button', { name: 'Verify connection' }).click();
    await page.locator('#provider-outcome').filter({ hasText: 'Verified' }).waitFor();
    await page.locator('#last-verified').filter({ hasText: 'succeeded' }).waitFor();

    await page.getByLabel('Recipient', { exact: true }).fill('ada@example.test');
    await page.getByRole('button', { name: 'Send test email' }).click();
    await page
      .locator('#test-outcome')
      .filter({ hasText: 'Test email sent to ada@example.test' })
      .waitFor();
    const [received] = await smtp.waitForMessages(1);
    expect(received.rcptTo).toEqual(['ada@example.test']);
    expect(received.parsed.subject).toBe('mailgate test email');

    // An unsaved wrong password: verify reports the class and a safe message.
    await page.getByRole('button', { name: 'Replace SMTP password' }).click();
    await expect(focusedId()).resolves.toBe('smtpConfig-senderPass');
    await page.keyboard.type('wrong-password');
    await page.getByRole('button', { name: 'Verify connection' }).click();
    const failed = page.locator('#provider-outcome').filter({ hasText: 'Verification failed' });
    await failed.waitFor();
    await expect(failed.locator('.badge').textContent()).resolves.toBe('auth');
    await expect(failed.textContent()).resolves.not.toContain('wrong-password');
    await page.getByRole('button', { name: 'Keep the stored smtp password' }).click();

    // The mask cannot follow the password to another host: the server says so at the field.
    await page.getByLabel('SMTP host', { exact: true }).fill('localhost');
    await save();
    await page
      .locator('[data-field="smtpConfig.senderPass"] .field-error')
      .filter({ hasText: 'must be sent again' })
      .waitFor();
    await page.getByLabel('SMTP host', { exact: true }).fill('127.0.0.1');
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Nothing changed' }).waitFor();
    await expect(unlabelledControls()).resolves.toEqual([]);
    await screenshot(page, 'console-provider', true);
  });

  it("shows the provider's circuit breaker: closed, then open with when the probe goes", async () => {
    const health = page.locator('#provider-health');
    await health.filter({ hasText: 'messages go to the provider' }).waitFor();
    await expect(page.locator('#circuit-state').textContent()).resolves.toBe('closed');
    // What five refused connections leave behind (the breaker's own row for the saved version).
    await query(
      t.db.url,
      `INSERT INTO provider_health (tenant_id, config_version, provider_type, state, reason,
         consecutive_failures, trips, since, retry_at, last_error)
       VALUES ($1, 1, 'custom', 'open', 'failures', 5, 1, now(), now() + interval '5 seconds',
         '{"class":"transient","code":"ECONNECTION","message":"Connection refused"}')`,
      [tenantA],
    );
    try {
      await page.reload();
      await page.locator('#provider-form').waitFor();
      await health.filter({ hasText: 'one probe goes at' }).waitFor();
      await expect(page.locator('#circuit-state').textContent()).resolves.toBe('open');
      await expect(health.textContent()).resolves.toContain('after 5 failure(s) in a row');
      await expect(health.locator('.badge-transient').textContent()).resolves.toBe('transient');
    } finally {
      await query(t.db.url, 'DELETE FROM provider_health WHERE tenant_id = $1', [tenantA]);
    }
  });

  it('configures Alibaba, Tencent and SendGrid with exactly their fields, then custom SMTP again', async () => {
    const headers = { authorization: `Bearer ${key.token}` };

    // Keyboard: arrow keys move through the type radios.
    await page.getByLabel('Custom SMTP', { exact: true }).focus();
    await page.keyboard.press('ArrowRight');
    await expect(
      page.getByLabel('Alibaba enterprise mail (exmail)', { exact: true }).isChecked(),
    ).resolves.toBe(true);
    await expect(visibleInputs()).resolves.toEqual([
      'aliExmailConfig-preset-host',
      'aliExmailConfig-preset-port',
      'aliExmailConfig-sender',
      'aliExmailConfig-senderPass',
    ]);
    await expect(page.locator('#aliExmailConfig-preset-host').inputValue()).resolves.toBe(
      'smtp.qiye.aliyun.com',
    );
    await expect(page.locator('#aliExmailConfig-preset-port').inputValue()).resolves.toBe('465');
    await expect(
      page.locator('#aliExmailConfig-preset-host').getAttribute('readonly'),
    ).resolves.not.toBeNull();
    await page.locator('#aliExmailConfig-sender').fill('ops@ali.example.test');
    await page.locator('#aliExmailConfig-senderPass').fill('ali-pass');
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Saved: version 2' }).waitFor();
    await expect(savedConfig(headers)).resolves.toMatchObject({
      type: 'ali',
      aliExmailConfig: { sender: 'ops@ali.example.test', senderPass: SECRET_MASK },
      smtpConfig: { smtp_host: '127.0.0.1' },
    });

    await page.getByLabel('Tencent enterprise mail (exmail)', { exact: true }).check();
    await expect(page.locator('#tencentExmailConfig-preset-host').inputValue()).resolves.toBe(
      'smtp.exmail.qq.com',
    );
    await page.locator('#tencentExmailConfig-sender').fill('ops@qq.example.test');
    await page.locator('#tencentExmailConfig-senderPass').fill('qq-pass');
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Saved: version 3' }).waitFor();
    await expect(savedConfig(headers)).resolves.toMatchObject({ type: 'qq' });

    await page.getByLabel('SendGrid', { exact: true }).check();
    await expect(visibleInputs()).resolves.toEqual([
      'sendGridConfig-sender',
      'sendGridConfig-apikey',
    ]);
    await page.locator('#sendGridConfig-sender').fill('no-reply');
    await page.getByLabel('SendGrid API key', { exact: true }).fill('SG.test-key');
    await save();
    await page
      .locator('[data-field="sendGridConfig.sender"] .field-error')
      .filter({ hasText: 'email address' })
      .waitFor();
    await page.locator('#sendGridConfig-sender').fill('no-reply@example.test');
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Saved: version 4' }).waitFor();
    await expect(savedConfig(headers)).resolves.toMatchObject({
      type: 'sendgrid',
      sendGridConfig: { sender: 'no-reply@example.test', apikey: SECRET_MASK },
    });

    // Back to custom SMTP: its stored settings (and masked password) were kept all along.
    await page.getByLabel('Custom SMTP', { exact: true }).check();
    await expect(visibleInputs()).resolves.toEqual([
      'smtpConfig-smtp_host',
      'smtpConfig-smtp_port',
      'smtpConfig-sender',
      'smtpConfig-senderPass',
      'smtpConfig-secure',
    ]);
    await expect(page.getByLabel('SMTP password', { exact: true }).inputValue()).resolves.toBe(
      SECRET_MASK,
    );
    await page.getByLabel('Fall back to the built-in mailer on failure', { exact: true }).check();
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Saved: version 5' }).waitFor();
    await expect(savedConfig(headers)).resolves.toMatchObject({
      type: 'custom',
      enabled: true,
      fallbackOnFailure: true,
    });
    // The history reloads after a save: wait for its newest entry, then count.
    await page.locator('#history-rows').getByText('type: sendgrid → custom').waitFor();
    const history = page.locator('#history-rows tr');
    await history.nth(5).waitFor();
    await expect(history.count()).resolves.toBeGreaterThanOrEqual(6);
  });

  it('lists messages with their attempts and retries a failed one', async () => {
    smtp.reset();
    const auth = { authorization: `Bearer ${key.token}` };
    const sent = await sendEmail(auth, anEmail({ subject: 'Welcome aboard' }));
    await expect(finalEmail(auth, sent)).resolves.toMatchObject({
      status: 'sent',
    });
    // A refused sender fails the message (a refused recipient would bounce and be suppressed).
    smtp.reply('MAIL', { code: 553, message: '5.7.1 Sender refused' });
    const bounced = await sendEmail(
      auth,
      anEmail({ subject: 'Bounces once', to: [{ email: 'bounce@example.test' }] }),
    );
    await expect(finalEmail(auth, bounced)).resolves.toMatchObject({
      status: 'failed',
    });

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Messages' }).waitFor();
    await page.locator('#message-rows tr').nth(1).waitFor();
    await expect(page.locator('#message-rows tr').count()).resolves.toBe(2);
    await expect(unlabelledControls()).resolves.toEqual([]);
    await screenshot(page, 'console-messages');

    await page.getByLabel('Status', { exact: true }).selectOption('failed');
    await page.locator('#messages-note').filter({ hasText: '1 message on this page' }).waitFor();
    expect(page.url()).toMatch(/#\/messages\?status=failed$/);
    await page.getByRole('link', { name: 'Bounces once' }).click();
    await page.getByRole('heading', { level: 1, name: 'Bounces once' }).waitFor();
    const attempts = page.locator('#attempts tbody tr');
    await attempts.first().waitFor();
    await expect(attempts.count()).resolves.toBe(1);
    await expect(attempts.first().locator('td').nth(2).textContent()).resolves.toMatch(
      /smtp|custom/,
    );
    await expect(attempts.first().locator('td').nth(3).textContent()).resolves.toBe('failed');
    await expect(attempts.first().locator('td').nth(4).textContent()).resolves.toBe('rejected');
    await expect(attempts.first().locator('td').nth(5).textContent()).resolves.toContain('553');
    await screenshot(page, 'console-message-failed');

    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('#message-outcome').filter({ hasText: 'Queued again' }).waitFor();
    await page.locator('dl.facts .status-sent').waitFor({ timeout: 15_000 });
    await expect(attempts.count()).resolves.toBe(2);
    await expect(attempts.nth(1).locator('td').nth(3).textContent()).resolves.toBe('sent');
    await expect(page.getByRole('button', { name: 'Retry' }).count()).resolves.toBe(0);
    const received = await smtp.waitForMessages(2);
    expect(received.map((m) => m.rcptTo[0]).sort()).toEqual([
      'ada@example.test',
      'bounce@example.test',
    ]);
  });

  it('the root key picks a tenant; the disabled switch routes mail to the built-in mailer', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key', { exact: true }).waitFor();
    await expect(
      page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length),
    ).resolves.toBe(0);

    await signIn(TEST_ROOT_KEY, tenantB);
    await page.getByText(`Tenant ${tenantB}`).waitFor();
    await page.getByLabel('SMTP host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('SMTP port', { exact: true }).fill(String(smtp.port));
    await page.locator('#smtpConfig-sender').fill('mailer@example.test');
    await page.getByLabel('SMTP password', { exact: true }).fill('smtp-pass');
    const enabled = page.getByRole('switch', { name: /Send through this provider/ });
    await expect(enabled.isChecked()).resolves.toBe(true);
    await page.getByText('When this is off (disabled), the built-in mailer sends').waitFor();
    await enabled.uncheck();
    await save();
    await page.locator('#provider-outcome').filter({ hasText: 'Saved: version 1' }).waitFor();
    await page
      .locator('#provider-summary')
      .filter({ hasText: 'the built-in mailer sends' })
      .waitFor();
    const rootHeaders = {
      authorization: `Bearer ${TEST_ROOT_KEY}`,
      'x-authing-userpool-id': tenantB,
    };
    await expect(savedConfig(rootHeaders)).resolves.toMatchObject({
      type: 'custom',
      enabled: false,
    });

    smtp.reset();
    const html =
      '<h1 id="hello">Hello from the preview</h1><p id="intl">Grüße, 你好</p><script>document.body.dataset.ran = "yes"</script>' +
      '<img src="https://tracker.example.test/pixel.gif" alt="">';
    const id = await sendEmail(rootHeaders, anEmail({ subject: 'Captured, not delivered', html }));
    await expect(finalEmail(rootHeaders, id)).resolves.toMatchObject({
      status: 'sent',
      transport: 'builtin',
      fallbackReason: 'provider disabled',
    });
    expect(smtp.messages).toHaveLength(0);

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.getByRole('link', { name: 'Captured, not delivered' }).click();
    await page.getByRole('heading', { level: 1, name: 'Captured, not delivered' }).waitFor();
    await page.locator('#attempts tbody tr').first().waitFor();
    await expect(
      page.locator('#attempts tbody tr').first().locator('td').nth(2).textContent(),
    ).resolves.toBe('builtin');
    await page.locator('dl.facts').getByText('provider disabled').waitFor();

    const frame = page.locator('iframe#preview');
    await expect(frame.getAttribute('sandbox')).resolves.toBe('');
    await expect(frame.getAttribute('srcdoc')).resolves.toContain('Hello from the preview');
    await page.frameLocator('iframe#preview').locator('#hello').waitFor();
    await expect(page.frameLocator('iframe#preview').locator('#intl').textContent()).resolves.toBe(
      'Grüße, 你好',
    );
    await expect(
      page.frameLocator('iframe#preview').locator('body').getAttribute('data-ran'),
    ).resolves.toBeNull();

    await page.getByText('Raw MIME').click();
    const raw = page.locator('#raw-mime');
    await expect(raw.textContent()).resolves.toMatch(/Content-Type: multipart\/alternative/);
    await expect(raw.locator('*').count()).resolves.toBe(0);
    await screenshot(page, 'console-message-captured');
  });

  it('pages through messages with nextCursor', async () => {
    const rootHeaders = {
      authorization: `Bearer ${TEST_ROOT_KEY}`,
      'x-authing-userpool-id': tenantB,
    };
    // One by one: rows of one batch share created_at to the microsecond, and the list cursor
    // carries only milliseconds (see the report to the lead), which would skip rows on page 2.
    for (let i = 0; i < 21; i += 1) {
      await sendEmail(rootHeaders, anEmail({ subject: `Page test ${i}` }));
    }
    await waitFor(
      async () => {
        const list = await http<{ data: { items: unknown[] } }>(
          t.baseUrl,
          'GET',
          '/v1/emails?status=sent&limit=200',
          {
            headers: rootHeaders,
          },
        );
        return list.body.data.items.length === 22;
      },
      { timeoutMs: 15_000, what: 'the messages to be captured' },
    );
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('#messages-note').filter({ hasText: '20 messages on this page' }).waitFor();
    await expect(page.getByRole('button', { name: 'Newer' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.locator('#messages-note').filter({ hasText: '2 messages on this page' }).waitFor();
    await expect(page.getByRole('button', { name: 'Older' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.locator('#messages-note').filter({ hasText: '20 messages on this page' }).waitFor();
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Provider' }).click();
    await page.locator('#provider-form').waitFor();
    await page.locator('#history-rows tr').first().waitFor();
    await expect(horizontalOverflow()).resolves.toBeLessThanOrEqual(0);
    await screenshot(page, 'console-provider-narrow');
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.locator('#message-rows tr').first().waitFor();
    await expect(horizontalOverflow()).resolves.toBeLessThanOrEqual(0);
    await screenshot(page, 'console-messages-narrow');
  });

  it('caused no CSP violation or script error of its own; the preview blocked what it should', () => {
    const fromPreview = [
      /^Blocked script execution in 'about:srcdoc' because the document's frame is sandboxed/,
      /^Loading the image 'https:\/\/tracker\.example\.test\/pixel\.gif' violates .*img-src/,
    ];
    for (const expected of fromPreview) {
      expect(problems.filter((p) => expected.test(p))).toHaveLength(1);
    }
    expect(problems.filter((p) => !fromPreview.some((re) => re.test(p)))).toEqual([]);
  });
});
