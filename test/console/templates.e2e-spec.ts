import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { EMAIL_TEMPLATE_TYPES } from '../../src/templates/email-template-type.enum';
import { configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

const ARTIFACTS = join(__dirname, '..', 'artifacts');
const SMTP_USER = 'mailer@example.test';

/** Content that tries to run script in the console by every route a template could offer. */
const HOSTILE_CONTENT = [
  '<h1 id="heading">Your code: <b id="code">{{code}}</b></h1>',
  '<p id="styled" style="color: rgb(200, 0, 0)">Valid {{expiresIn}} minutes.</p>',
  '<script>parent.document.body.dataset.pwned = "script"; document.body.dataset.ran = "yes";</script>',
  '<div id="handler" onmouseover="parent.document.body.dataset.pwned = \'handler\'">hover</div>',
  '<a id="js-link" href="javascript:parent.document.body.dataset.pwned = \'link\'">link</a>',
].join('\n');

interface TemplateData {
  type: string;
  customizeEnabled: boolean;
  name: string;
  subject: string;
  sender: string;
  content: string;
  expiresIn?: number;
}

/** The browser globals the spec reads in page.evaluate (the tsconfig has no DOM lib). */
interface PageGlobals {
  document: {
    title: string;
    body: { dataset: Record<string, string | undefined> };
    querySelectorAll(selector: string): Iterable<{
      id: string;
      labels: { length: number } | null;
      getClientRects(): { length: number };
    }>;
  };
}

/** The Templates page of the console in Chromium, against a real gateway and SMTP server. */
describe('console: email templates (issue 21)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;
  let browser: Browser;
  let page: Page;
  let key: TestKey;
  const tenant = newTenantId();
  /** CSP violations and script errors: the page must cause none. */
  const problems: string[] = [];

  async function templates(query = ''): Promise<TemplateData[]> {
    const res = await http<{ data: { templates: TemplateData[] } }>(
      t.baseUrl,
      'GET',
      `/api/v3/get-email-templates${query}`,
      { token: key.token },
    );
    return res.body.data.templates;
  }

  async function login(query = ''): Promise<TemplateData> {
    return (await templates(query)).find((x) => x.type === 'LOGIN_VERIFY_CODE')!;
  }

  function frame() {
    return page.frameLocator('#template-preview');
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

  function pwned(): Promise<string | undefined> {
    return page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.dataset.pwned);
  }

  async function screenshot(name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  }

  beforeAll(async () => {
    [smtp, t] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: SMTP_USER, pass: 'smtp-pass' } }),
      startTestApp({
        env: { BUILTIN_MAILER_URL: 'capture://', BUILTIN_MAIL_FROM: 'gw@capture.test' },
      }),
    ]);
    key = await createKey(t, tenant);
    await configureSmtp(t, key.token, { port: smtp.port, user: SMTP_USER, pass: 'smtp-pass' });
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

  it('lists the 15 GenAuth types with their category and state', async () => {
    await page.goto(`${t.baseUrl}/console#/templates`);
    await page.getByLabel('API key', { exact: true }).fill(key.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Email templates' }).waitFor();
    await expect(
      page.getByRole('link', { name: 'Templates', exact: true }).getAttribute('aria-current'),
    ).resolves.toBe('page');
    await page.locator('#templates-note').filter({ hasText: '15 template types' }).waitFor();
    const rows = page.locator('#template-rows tr');
    await expect(rows.count()).resolves.toBe(15);
    await expect(
      page
        .locator('#template-rows tr')
        .evaluateAll((trs) =>
          trs.map((tr) => (tr as unknown as { dataset: { type: string } }).dataset.type),
        ),
    ).resolves.toEqual([...EMAIL_TEMPLATE_TYPES]);
    const loginRow = page.locator('tr[data-type="LOGIN_VERIFY_CODE"]');
    await expect(loginRow.locator('td').nth(2).textContent()).resolves.toBe(
      'Verification code templates',
    );
    await expect(loginRow.locator('td').nth(3).textContent()).resolves.toBe('Default');
    await expect(
      page.locator('tr[data-type="CONSOLE_CONDUCTED_VERIFY"] td').nth(2).textContent(),
    ).resolves.toBe('Verification link templates');
    await expect(
      page.locator('tr[data-type="WELCOME_EMAIL"] td').nth(2).textContent(),
    ).resolves.toBe('Notification templates');
    await expect(unlabelledControls()).resolves.toEqual([]);
    await screenshot('console-templates');

    // English defaults.
    await page.getByLabel('Language of the defaults', { exact: true }).selectOption('en');
    await page.waitForURL(/#\/templates\?locale=en$/);
    await loginRow
      .locator('a')
      .filter({ hasText: (await login('?locale=en')).name })
      .waitFor();
  });

  it('edits with a live preview in a sandboxed frame where nothing runs', async () => {
    await page.locator('tr[data-type="LOGIN_VERIFY_CODE"] a').click();
    await page.locator('#template-form').waitFor();
    const english = await login('?locale=en');
    await expect(page.getByLabel('Subject', { exact: true }).inputValue()).resolves.toBe(
      english.subject,
    );
    // The default's preview, with the sample code.
    await frame().locator('body').filter({ hasText: '123456' }).waitFor();
    const iframe = page.locator('iframe#template-preview');
    const sandbox = (await iframe.getAttribute('sandbox')) ?? 'missing';
    expect(sandbox.split(/\s+/)).not.toContain('allow-scripts');
    expect(sandbox).not.toBe('missing');

    await page.getByLabel('Subject', { exact: true }).fill('Your {{appName}} code');
    await page.getByLabel('Sender display name', { exact: true }).fill('Acme Sign-in');
    await page.getByLabel('Content (HTML)', { exact: true }).fill(HOSTILE_CONTENT);
    await frame().locator('#code').filter({ hasText: '123456' }).waitFor();
    await page.locator('#preview-subject').filter({ hasText: 'Your Acme Sign-in code' }).waitFor();
    await expect(page.locator('#preview-sender').textContent()).resolves.toBe('Acme Sign-in');
    // The content's inline style shows (applied through CSSOM, the CSP stays strict).
    // Read from the console's side: nothing may run inside the frame, not even the test's code.
    await expect(
      page.evaluate(() => {
        const { document, getComputedStyle } = globalThis as unknown as {
          document: {
            querySelector(s: string): {
              contentDocument: { querySelector(s: string): unknown } | null;
            } | null;
          };
          getComputedStyle(el: unknown): { color: string };
        };
        const el = document
          .querySelector('#template-preview')
          ?.contentDocument?.querySelector('#styled');
        return el ? getComputedStyle(el).color : 'not found';
      }),
    ).resolves.toBe('rgb(200, 0, 0)');
    await expect(frame().locator('#styled').textContent()).resolves.toBe('Valid 5 minutes.');

    // Nothing of the content ran or can run: no script element, no handler, no javascript: link.
    await expect(frame().locator('script').count()).resolves.toBe(0);
    await expect(frame().locator('#handler').getAttribute('onmouseover')).resolves.toBeNull();
    await expect(frame().locator('#js-link').getAttribute('href')).resolves.toBeNull();
    await frame().locator('#handler').hover();
    await expect(frame().locator('body').getAttribute('data-ran')).resolves.toBeNull();
    await expect(pwned()).resolves.toBeUndefined();

    // Server errors show at their field while typing: an unknown variable with line and column.
    const content = page.getByLabel('Content (HTML)', { exact: true });
    await content.fill('<p>Hello</p>\n<p>{{nope}}</p>');
    const contentError = page.locator('[data-field="content"] .field-error');
    await contentError.filter({ hasText: 'line 2, column 4: unknown variable "nope"' }).waitFor();
    await expect(content.getAttribute('aria-invalid')).resolves.toBe('true');
    await content.fill('<p>{{#if code}}unclosed</p>');
    await contentError.filter({ hasText: 'does not compile at line' }).waitFor();
    // EJS is refused, and says why, at the engine field.
    await content.fill(HOSTILE_CONTENT);
    await page
      .locator('#preview-state')
      .filter({ hasText: 'Rendered with sample values' })
      .waitFor();
    await expect(contentError.isHidden()).resolves.toBe(true);
    await page.getByLabel('Template engine', { exact: true }).selectOption('ejs');
    await page
      .locator('[data-field="tplEngine"] .field-error')
      .filter({ hasText: 'arbitrary JavaScript' })
      .waitFor();
    await page.getByLabel('Template engine', { exact: true }).selectOption('handlebar');
    await page
      .locator('#preview-state')
      .filter({ hasText: 'Rendered with sample values' })
      .waitFor();
    await expect(page.locator('[data-field="tplEngine"] .field-error').isHidden()).resolves.toBe(
      true,
    );
    await expect(unlabelledControls()).resolves.toEqual([]);
    await screenshot('console-template-edit');
  });

  it('saves, refuses a bad field at save, and shows the change history', async () => {
    await page.getByLabel('Expires in (minutes)', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .locator('[data-field="expiresIn"] .field-error')
      .filter({ hasText: 'expiresIn' })
      .waitFor();
    await page.locator('#template-errors').filter({ hasText: 'expiresIn' }).waitFor();

    await page.getByLabel('Expires in (minutes)', { exact: true }).fill('10');
    await page.getByLabel('Name', { exact: true }).fill('Acme sign-in code');
    await page.getByLabel('Use this template for sends', { exact: true }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .locator('#template-outcome')
      .filter({ hasText: 'Saved: sends of this type use this template' })
      .waitFor();
    await expect(login()).resolves.toMatchObject({
      customizeEnabled: true,
      name: 'Acme sign-in code',
      subject: 'Your {{appName}} code',
      sender: 'Acme Sign-in',
      content: HOSTILE_CONTENT,
      expiresIn: 10,
    });
    await page.locator('#template-status').filter({ hasText: 'Customised' }).waitFor();
    await page.locator('#template-history-rows tr').first().waitFor();
    await expect(page.locator('#template-history-rows tr').count()).resolves.toBe(1);
    await page.locator('#template-history-rows').getByText('customizeEnabled: — → true').waitFor();
    await page
      .locator('#template-history-rows')
      .getByText(/^content: — → \d+ bytes, sha256/)
      .waitFor();
    await frame().locator('#styled').filter({ hasText: 'Valid 10 minutes.' }).waitFor();
  });

  it('sends a test by template that arrives at the SMTP server', async () => {
    smtp.reset();
    await page.getByLabel('Recipient', { exact: true }).fill('ada@example.test');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page
      .locator('#template-test-outcome')
      .filter({ hasText: 'Test sent to ada@example.test' })
      .waitFor({ timeout: 20_000 });
    const received = await waitFor(
      () => smtp.messages.find((m) => m.rcptTo.includes('ada@example.test')),
      { timeoutMs: 15_000, what: 'the test message' },
    );
    expect(received.parsed.subject).toBe('Your Acme Sign-in code');
    expect(received.parsed.from?.value).toEqual([{ name: 'Acme Sign-in', address: SMTP_USER }]);
    expect(received.parsed.html).toContain('<b id="code">123456</b>');
    expect(received.parsed.text).toContain('123456');
    await page.locator('#template-test-outcome a').click();
    await page
      .getByRole('heading', { level: 1 })
      .filter({ hasText: /sensitive|Acme/ })
      .waitFor();
    await page.goBack();
    await page.locator('#template-form').waitFor();
  });

  it('resets to the default', async () => {
    await page.getByRole('button', { name: 'Reset to default' }).click();
    await page.locator('#template-outcome').filter({ hasText: 'Reset' }).waitFor();
    const english = await login('?locale=en&defaults=true');
    await expect(page.getByLabel('Subject', { exact: true }).inputValue()).resolves.toBe(
      english.subject,
    );
    await expect(login('?locale=en')).resolves.toMatchObject({
      customizeEnabled: false,
      subject: english.subject,
      content: english.content,
    });
    await page.locator('#template-history-rows tr').nth(1).waitFor();
    await page
      .locator('#template-history-rows')
      .getByText('customizeEnabled: true → false')
      .waitFor();
    // The preview re-renders after the reset: wait until the custom markup has left the frame.
    await frame().locator('#styled').waitFor({ state: 'detached' });
    await frame().locator('body').filter({ hasText: '123456' }).waitFor();

    await page.getByRole('link', { name: '← All templates' }).click();
    await page
      .locator('tr[data-type="LOGIN_VERIFY_CODE"] td')
      .nth(3)
      .filter({ hasText: /^Default$/ })
      .waitFor();
    await expect(pwned()).resolves.toBeUndefined();
  });

  it('fits a narrow screen', async () => {
    const overflow = (): Promise<number> =>
      page.evaluate(() => {
        const root = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document.documentElement;
        return root.scrollWidth - root.clientWidth;
      });
    await page.setViewportSize({ width: 390, height: 844 });
    // From the list, whatever page an earlier test ended on.
    await page.goto(`${t.baseUrl}/console#/templates`);
    await page.locator('#template-rows tr').nth(14).waitFor();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await screenshot('console-templates-narrow');
    await page.locator('tr[data-type="ADMIN_RESET_USER_PASSWORD_NOTIFICATION"] a').click();
    await page.locator('#template-form').waitFor();
    await page
      .locator('#preview-state')
      .filter({ hasText: 'Rendered with sample values' })
      .waitFor();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await screenshot('console-template-narrow');
  });

  it('caused no CSP violation or script error', () => {
    expect(problems).toEqual([]);
  });
});
