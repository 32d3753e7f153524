import { query } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { createKey, newTenantId, type TestKey } from '../factories/emails';
import { createEndpoint } from '../factories/webhooks';
import { freePort } from '../support/child-app';

const SCOPES = ['email:send', 'webhooks:write'];

/** A production-mode app: the egress policy as an operator gets it. */
function productionApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({
    env: {
      NODE_ENV: 'production',
      BUILTIN_MAILER_URL: 'smtp://127.0.0.1:2525',
      BUILTIN_MAIL_FROM: 'mailgate@example.test',
      WEBHOOK_POLL_MS: '50',
      WEBHOOK_RETRY_SCHEDULE: '10s',
      ...env,
    },
  });
}

describe('webhooks: SSRF (egress policy)', () => {
  describe('production, MAILGATE_ALLOW_PRIVATE_TARGETS unset', () => {
    let t: TestApp;
    let key: TestKey;
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      t = await productionApp();
      key = await createKey(t, newTenantId(), SCOPES);
      receiver = await startWebhookReceiver();
    });
    afterAll(async () => {
      await receiver.close();
      await t.close();
    });

    it.each([
      'https://127.0.0.1/hooks',
      'https://10.1.2.3/hooks',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hooks',
      'https://[::ffff:127.0.0.1]/hooks',
      'https://[fe80::1]/hooks',
      'https://100.64.0.1/hooks',
      'https://224.0.0.1/hooks',
      'https://0x7f.1/hooks',
      'https://localhost/hooks',
      'http://hooks.example.com/mailgate',
    ])('%s -> 400 naming url (create and PATCH)', async (url) => {
      const res = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
        token: key.token,
        body: { url },
      });
      expect(res.status).toBe(400);
      expect(res.body.data.errors).toHaveLength(1);
      expect(res.body.data.errors[0].field).toBe('url');
      expect(res.text).not.toContain('"statusCode":500');
    });

    it('PATCH to a denied url is refused the same way', async () => {
      // Saved before the check existed, or by an operator: a public-looking row.
      const ep = await createEndpoint(t, key.token, { url: 'https://93.184.215.14/hooks' });
      const res = await http(t.baseUrl, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
        body: { url: 'https://[::ffff:10.0.0.1]/x' },
      });
      expect(res.status).toBe(400);
      expect(res.body.data.errors[0].field).toBe('url');
    });

    it('at connect, after DNS: a stored host name that resolves to loopback is never called', async () => {
      const ep = await createEndpoint(t, key.token, { url: 'https://93.184.215.14/hooks' });
      // What DNS rebinding achieves: the name now points at the inside (the receiver on loopback).
      await query(t.db.url, `UPDATE webhook_endpoints SET url = $1 WHERE id = $2`, [
        `https://localhost:${receiver.port}/hooks`,
        ep.id,
      ]);
      const test = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
        token: key.token,
      });
      expect(test.status).toBe(202);
      const attempted = await waitFor(
        async () => {
          const res = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`, {
            token: key.token,
          });
          const d = res.body.data.items[0];
          return d?.lastError !== null && d?.lastError !== undefined ? d : undefined;
        },
        { what: 'the refused attempt' },
      );
      expect(attempted.lastError).toMatch(/EGRESS_DENIED/);
      expect(attempted.lastStatusCode).toBeNull();
      expect(receiver.calls).toHaveLength(0);
    });
  });

  describe('production with the receiver allowed (MAILGATE_ALLOW_PRIVATE_TARGETS=127.0.0.1/32)', () => {
    let t: TestApp;
    let receiver: WebhookReceiver;
    let inside: WebhookReceiver;
    beforeAll(async () => {
      receiver = await startWebhookReceiver();
      inside = await startWebhookReceiver();
      t = await productionApp({ MAILGATE_ALLOW_PRIVATE_TARGETS: '127.0.0.1/32' });
    });
    afterAll(async () => {
      await receiver.close();
      await inside.close();
      await t.close();
    });

    it('a receiver answering 302 to a private address is not followed', async () => {
      const key = await createKey(t, newTenantId(), SCOPES);
      const ep = await createEndpoint(t, key.token, { url: receiver.url });
      receiver.answer = 302;
      receiver.answerHeaders = { location: `http://127.0.0.1:${inside.port}/internal` };
      const test = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
        token: key.token,
      });
      const id = test.body.data.id as string;
      const attempted = await waitFor(
        async () => {
          const res = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`, {
            token: key.token,
          });
          const d = res.body.data.items[0];
          return d?.lastStatusCode === 302 ? d : undefined;
        },
        { what: 'the attempt answered 302' },
      );
      expect(attempted).toMatchObject({
        id,
        status: 'pending',
        lastError: 'HTTP 302: redirects are not followed',
      });
      expect(receiver.calls.map((c) => c.id)).toEqual([id]);
      expect(inside.calls).toHaveLength(0);
    });

    it('outside the allowed range is still refused', async () => {
      const key = await createKey(t, newTenantId(), SCOPES);
      for (const url of [
        `http://127.0.0.2:${await freePort()}/x`,
        'https://[::1]/x',
        'https://10.0.0.1/x',
      ]) {
        const res = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
          token: key.token,
          body: { url },
        });
        expect([url, res.status, res.body.data?.errors?.[0]?.field]).toEqual([url, 400, 'url']);
      }
    });
  });
});
