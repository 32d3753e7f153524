import { chromium, type Browser, type Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { createKey, newTenantId, type TestKey } from '../factories/emails';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/chromium';
import { startTestApp, waitFor, type TestApp } from '../support/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

describe('console: Webhooks page in a real browser', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let page: Page;
  let key: TestKey;
  const problems: string[] = [];

  beforeAll(async () => {
    [t, receiver] = await Promise.all([
      startTestApp({
        env: { WEBHOOK_POLL_MS: '50', WEBHOOK_RETRY_SCHEDULE: '100ms' },
      }),
      startWebhookReceiver(),
    ]);
    key = await createKey(t, newTenantId(), ['email:send', 'email:read', 'webhooks:write']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
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
    await receiver?.close();
    await t?.close();
  });

  /** The one-time secret panel's value. */
  async function shownSecret(): Promise<string> {
    const secret = await page.locator('#webhook-secret-value').textContent();
    expect(secret).toMatch(/^whsec_/);
    return secret!;
  }

  it('create (secret once, copy), test, rotate, disable, deliveries with retry', async () => {
    await page.goto(`${t.baseUrl}/console`);
    await page.getByLabel('API key', { exact: true }).fill(key.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The landing page is the Overview; its webhooks link leads to the page as the nav does.
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.locator('#overview-webhooks').click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();

    // A refused URL names the field.
    await page.getByLabel('URL', { exact: true }).fill('ftp://example.test/x');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await page.locator('#webhook-form-error', { hasText: 'url' }).waitFor();

    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByLabel('Description (optional)').fill('billing');
    await page.getByLabel('email.sent').check();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = await shownSecret();
    receiver.secrets.set('first', secret);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByText('Copied.').waitFor();
    const clipboard = await page.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    expect(clipboard).toBe(secret);
    const row = page.locator('#endpoint-rows tr', { hasText: receiver.url });
    await row.getByText('email.sent').waitFor();

    // The secret is never shown again: not after a reload.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await row.waitFor();
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    await row.getByRole('button', { name: 'Send test' }).click();
    await waitFor(() => receiver.calls.length === 1, { what: 'the test event' });
    expect(receiver.calls[0].verifiedBy).toEqual(['first']);
    expect(
      new Webhook(secret).verify(
        receiver.calls[0].body,
        receiver.calls[0].headers as Record<string, string>,
      ),
    ).toMatchObject({ type: 'webhook.test' });

    await row.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('heading', { name: /New signing secret/ }).waitFor();
    const rotated = await shownSecret();
    expect(rotated).not.toBe(secret);
    receiver.secrets.set('rotated', rotated);
    await row.getByRole('button', { name: 'Send test' }).click();
    await waitFor(() => receiver.calls.length === 2, { what: 'the second test event' });
    expect(receiver.calls[1].verifiedBy.sort()).toEqual(['first', 'rotated']);

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled through the API').waitFor();
    expect(await row.getByRole('button', { name: 'Send test' }).isDisabled()).toBe(true);
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByRole('button', { name: 'Disable' }).waitFor();

    // A failing receiver: the delivery fails (schedule of one retry), then Retry delivers it.
    receiver.answer = 500;
    await row.getByRole('button', { name: 'Send test' }).click();
    await row.getByRole('link', { name: receiver.url }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhook deliveries' }).waitFor();
    const failed = page.locator('#delivery-rows tr', { hasText: 'failed' });
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return (await failed.count()) === 1;
      },
      { what: 'the failed delivery in the list', intervalMs: 300 },
    );
    await failed.getByText('HTTP 500: no').waitFor();
    receiver.answer = 200;
    await failed.getByRole('button', { name: 'Retry' }).click();
    await waitFor(
      async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        return (await page.locator('#delivery-rows tr', { hasText: 'delivered' }).count()) === 3;
      },
      { what: 'the retried delivery delivered', intervalMs: 300 },
    );
    // The same webhook-id on the failed attempts and on the retry that got through.
    const retried = receiver.calls.slice(2);
    expect(retried.map((c) => c.answered)).toEqual([500, 500, 200]);
    expect(new Set(retried.map((c) => c.id)).size).toBe(1);

    // Back through the nav: neither secret is shown again.
    await page.getByRole('navigation').getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await row.waitFor();
    expect(await page.locator('#webhook-secret').count()).toBe(0);
    const html = await page.content();
    expect(html).not.toContain(secret);
    expect(html).not.toContain(rotated);

    page.once('dialog', (dialog) => void dialog.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.locator('#endpoints-empty').waitFor();
    expect(await row.count()).toBe(0);

    // The one expected failure: the refused URL's 400. No CSP violation, no script error.
    const refused = /status of 400 \(Bad Request\)/;
    expect(problems.filter((p) => refused.test(p))).toHaveLength(1);
    expect(problems.filter((p) => !refused.test(p))).toEqual([]);
  });

  it('fits a narrow screen: the secret wraps, both tables stack', async () => {
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
    await page.getByLabel('URL', { exact: true }).fill(receiver.url);
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    await shownSecret();
    const row = page.locator('#endpoint-rows tr', { hasText: receiver.url });
    await row.getByRole('button', { name: 'Send test' }).click();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    await row.getByRole('link', { name: receiver.url }).click();
    await page.locator('#delivery-rows tr').first().waitFor();
    await expect(overflow()).resolves.toBeLessThanOrEqual(0);
    expect(problems.filter((p) => !/status of 400/.test(p))).toEqual([]);
  });
});
