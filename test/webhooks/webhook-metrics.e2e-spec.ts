import { createKey, newTenantId, type TestKey } from '../factories/emails';
import { createEndpoint, type CreatedEndpoint } from '../factories/webhooks';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/** The webhook series of one /metrics scrape, by their name and labels as printed. */
async function webhookMetrics(t: TestApp): Promise<Record<string, number>> {
  const res = await http(t.baseUrl, 'GET', '/metrics');
  expect(res.status).toBe(200);
  const values: Record<string, number> = {};
  for (const match of res.text.matchAll(/^(mailgate_webhook_\w+(?:\{[^}]*\})?) (\S+)$/gm)) {
    values[match[1]] = Number(match[2]);
  }
  return values;
}

const DELIVERED = 'mailgate_webhook_attempts_total{outcome="delivered"}';
const RETRY = 'mailgate_webhook_attempts_total{outcome="retry"}';
const FAILED = 'mailgate_webhook_attempts_total{outcome="failed"}';
const PENDING = 'mailgate_webhook_outbox_deliveries{status="pending"}';
const DELIVERING = 'mailgate_webhook_outbox_deliveries{status="delivering"}';
const OLDEST = 'mailgate_webhook_outbox_oldest_age_seconds';

/**
 * Issue 17's metrics follow what the outbox does: attempts by outcome, the outbox depth, and the
 * age of its oldest open delivery. One app of its own, so the counters start at 0.
 */
describe('webhooks: metrics of deliveries and the outbox', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let key: TestKey;
  let endpoint: CreatedEndpoint;

  beforeAll(async () => {
    [t, receiver] = await Promise.all([
      // One quick retry, then an hour's wait: a failing delivery stays in the outbox.
      startTestApp({ env: { WEBHOOK_RETRY_SCHEDULE: '100ms,1h', WEBHOOK_POLL_MS: '50' } }),
      startWebhookReceiver(),
    ]);
    key = await createKey(t, newTenantId(), ['webhooks:write']);
    endpoint = await createEndpoint(t, key.token, { url: receiver.url });
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  async function sendTest(): Promise<string> {
    const res = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${endpoint.id}/test`, {
      token: key.token,
    });
    expect(res.status).toBe(202);
    return res.body.data.id as string;
  }

  it('start at zero, every series present', async () => {
    expect(await webhookMetrics(t)).toMatchObject({
      [DELIVERED]: 0,
      [RETRY]: 0,
      [FAILED]: 0,
      [PENDING]: 0,
      [DELIVERING]: 0,
      [OLDEST]: 0,
    });
  });

  it('count a delivered attempt', async () => {
    await sendTest();
    await waitFor(async () => (await webhookMetrics(t))[DELIVERED] === 1, {
      what: 'delivered = 1',
    });
    expect(await webhookMetrics(t)).toMatchObject({ [RETRY]: 0, [FAILED]: 0, [PENDING]: 0 });
  });

  it('show a failing delivery as retries, outbox depth and a growing oldest age; then failed', async () => {
    receiver.answer = 500;
    const id = await sendTest();
    // Two attempts answered 500 (the first and the 100 ms retry); the next is an hour away.
    const waiting = await waitFor(
      async () => {
        const m = await webhookMetrics(t);
        return m[RETRY] === 2 && m[PENDING] === 1 && m[OLDEST] >= 1 ? m : undefined;
      },
      { what: 'two retries and a pending delivery at least 1 s old' },
    );
    expect(waiting).toMatchObject({ [DELIVERED]: 1, [FAILED]: 0, [DELIVERING]: 0 });
    expect(receiver.calls.filter((c) => c.answered === 500)).toHaveLength(2);

    // A manual retry is the last attempt of the schedule: it fails for good and leaves the outbox.
    const retried = await http(
      t.baseUrl,
      'POST',
      `/v1/webhook-endpoints/${endpoint.id}/deliveries/${id}/retry`,
      { token: key.token },
    );
    expect(retried.status).toBe(202);
    const after = await waitFor(
      async () => {
        const m = await webhookMetrics(t);
        return m[FAILED] === 1 && m[PENDING] === 0 ? m : undefined;
      },
      { what: 'failed = 1 and an empty outbox' },
    );
    expect(after).toMatchObject({ [DELIVERED]: 1, [RETRY]: 2, [DELIVERING]: 0, [OLDEST]: 0 });
  });
});
