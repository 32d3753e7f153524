import { Webhook } from 'standardwebhooks';
import { freePort } from '../support/child-app';
import { query } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import {
  anEmail,
  configureSmtp,
  createKey,
  newTenantId,
  rootHeaders,
  type TestKey,
} from '../factories/emails';
import { createEndpoint } from '../factories/webhooks';

const ALL_SCOPES = [
  'email:send',
  'email:read',
  'provider:write',
  'provider:read',
  'webhooks:write',
];

async function send(
  t: TestApp,
  key: TestKey,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await http(t.baseUrl, 'POST', '/v1/emails', {
    token: key.token,
    body: anEmail(extra),
  });
  expect(res.status).toBe(202);
  return res.body.data.id as string;
}

describe('webhooks: endpoints and signed, durable delivery', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        DISPATCH_MAX_ATTEMPTS: '2',
        DISPATCH_RETRY_BASE_MS: '50',
        WEBHOOK_RETRY_SCHEDULE: '100ms,200ms,300ms',
        WEBHOOK_POLL_MS: '50',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  describe('endpoints API', () => {
    it('answers the whsec_ secret once; reads never show it; PATCH, DELETE; other tenants see 404', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      const created = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
        token: key.token,
        body: { url: receiver.url, events: ['email.sent'], description: 'billing' },
      });
      expect(created.status).toBe(201);
      const ep = created.body.data;
      expect(ep).toMatchObject({
        url: receiver.url,
        events: ['email.sent'],
        description: 'billing',
        disabled: false,
      });
      expect(ep.id).toMatch(/^ep_[0-9a-f]{24}$/);
      expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
      const keyBytes = Buffer.from(ep.secret.slice('whsec_'.length), 'base64').length;
      expect(keyBytes).toBeGreaterThanOrEqual(24);
      expect(keyBytes).toBeLessThanOrEqual(64);

      const list = await http(t.baseUrl, 'GET', '/v1/webhook-endpoints', { token: key.token });
      const one = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
      });
      expect(list.body.data).toHaveLength(1);
      expect(one.body.data.id).toBe(ep.id);
      for (const text of [list.text, one.text]) {
        expect(text).not.toContain(ep.secret.slice(6));
        expect(text).not.toContain('secret"');
      }
      // At rest: only ciphertext.
      const stored = await query(t.db.url, `SELECT * FROM webhook_endpoints WHERE id = $1`, [
        ep.id,
      ]);
      expect(JSON.stringify(stored)).not.toContain(ep.secret.slice(6));

      const patched = await http(t.baseUrl, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
        body: { events: null, disabled: true },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.data).toMatchObject({
        events: null,
        disabled: true,
        disabledReason: 'disabled through the API',
      });
      const enabled = await http(t.baseUrl, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
        body: { disabled: false },
      });
      expect(enabled.body.data).toMatchObject({ disabled: false, disabledAt: null });

      const other = await createKey(t, newTenantId(), ALL_SCOPES);
      for (const [method, path] of [
        ['GET', `/v1/webhook-endpoints/${ep.id}`],
        ['PATCH', `/v1/webhook-endpoints/${ep.id}`],
        ['DELETE', `/v1/webhook-endpoints/${ep.id}`],
        ['POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`],
        ['POST', `/v1/webhook-endpoints/${ep.id}/test`],
        ['GET', `/v1/webhook-endpoints/${ep.id}/deliveries`],
      ]) {
        const res = await http(t.baseUrl, method, path, {
          token: other.token,
          body: method === 'PATCH' ? { disabled: true } : undefined,
        });
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }

      const deleted = await http(t.baseUrl, 'DELETE', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
      });
      expect(deleted.body.data).toEqual({ id: ep.id, deleted: true });
      const gone = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
      });
      expect(gone.status).toBe(404);
    });

    it('needs webhooks:write (root keys have it) and names every bad field', async () => {
      const tenant = newTenantId();
      const noScope = await createKey(t, tenant, ['email:send', 'email:read', 'provider:write']);
      const refused = await http(t.baseUrl, 'GET', '/v1/webhook-endpoints', {
        token: noScope.token,
      });
      expect(refused.status).toBe(403);

      const root = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
        headers: rootHeaders(newTenantId()),
        body: { url: receiver.url },
      });
      expect(root.status).toBe(201);

      const bad = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
        headers: rootHeaders(tenant),
        body: { url: 'ftp://x', events: ['email.sent', 'email.nope'], description: 7, extra: 1 },
      });
      expect(bad.status).toBe(400);
      const fields = (bad.body.data.errors as Array<{ field: string }>).map((e) => e.field).sort();
      expect(fields).toEqual(['description', 'events', 'extra']);
      const badUrl = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
        headers: rootHeaders(tenant),
        body: { url: 'ftp://x' },
      });
      expect(badUrl.status).toBe(400);
      expect(badUrl.body.data.errors).toEqual([
        { field: 'url', messages: ['must be an http(s) URL'] },
      ]);
      const creds = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
        headers: rootHeaders(tenant),
        body: { url: 'http://user:pw@127.0.0.1/x' },
      });
      expect(creds.body.data.errors[0].field).toBe('url');
      expect(creds.text).not.toContain('pw@');
    });
  });

  describe('events', () => {
    it('sent, deferred and failed arrive signed: every call verifies with standardwebhooks; tags and metadata echoed', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      const ep = await createEndpoint(t, key.token, { url: receiver.url });
      receiver.secrets.set('current', ep.secret);

      const sentId = await send(t, key, {
        tags: ['signup'],
        metadata: { userId: 'u-42' },
      });
      await waitFor(() => receiver.calls.some((c) => c.payload.data.id === sentId), {
        what: 'email.sent webhook',
      });
      const sent = receiver.calls.find((c) => c.payload.data.id === sentId)!;
      expect(sent.payload).toMatchObject({
        type: 'email.sent',
        data: {
          id: sentId,
          tenant: expect.any(String),
          to: [{ name: 'Ada Lovelace', email: 'ada@example.test' }],
          status: 'sent',
          attempt: 1,
          transport: 'builtin',
          tags: ['signup'],
          metadata: { userId: 'u-42' },
        },
      });
      expect(sent.payload.data).not.toHaveProperty('error');
      // Sent through the built-in mailer: no provider config version.
      expect(sent.payload.data).not.toHaveProperty('providerConfigVersion');
      expect(Date.parse(sent.payload.timestamp)).not.toBeNaN();
      expect(sent.headers['content-type']).toBe('application/json');
      expect(sent.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(sent.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

      // A provider on a closed port (another tenant, configured before its first send):
      // transient failures, deferred once, then failed (DISPATCH_MAX_ATTEMPTS=2).
      const failing = await createKey(t, newTenantId(), ALL_SCOPES);
      await configureSmtp(t, failing.token, {
        port: await freePort(),
        user: 'sender@example.test',
        pass: 'p',
      });
      const failingEp = await createEndpoint(t, failing.token, { url: receiver.url });
      receiver.secrets.set('failing', failingEp.secret);
      const failedId = await send(t, failing);
      await waitFor(
        () =>
          receiver.calls.some(
            (c) => c.payload.data.id === failedId && c.payload.type === 'email.failed',
          ),
        { what: 'email.failed webhook' },
      );
      const types = receiver.calls
        .filter((c) => c.payload.data.id === failedId)
        .map((c) => c.payload.type);
      expect(types).toEqual(['email.deferred', 'email.failed']);
      const deferred = receiver.calls.find((c) => c.payload.type === 'email.deferred')!;
      expect(deferred.payload.data).toMatchObject({
        status: 'queued',
        attempt: 1,
        providerConfigVersion: 1,
        error: { class: 'transient' },
      });
      for (const call of receiver.calls) {
        expect(call.verifiedBy).toEqual([
          call.payload.data.id === failedId ? 'failing' : 'current',
        ]);
      }

      // The reference library refuses a tampered body and a replay after its 5-minute tolerance.
      const wh = new Webhook(ep.secret);
      const headers = {
        'webhook-id': sent.id,
        'webhook-timestamp': sent.timestamp,
        'webhook-signature': sent.signature,
      };
      expect(() => wh.verify(sent.body, headers)).not.toThrow();
      expect(() => wh.verify(sent.body.replace('u-42', 'u-43'), headers)).toThrow(
        'No matching signature found',
      );
      const realNow = Date.now;
      Date.now = () => realNow() + 6 * 60 * 1000;
      try {
        expect(() => wh.verify(sent.body, headers)).toThrow('Message timestamp too old');
      } finally {
        Date.now = realNow;
      }
    });

    it('the outbox row is written in the transaction of the status change, and only then', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      receiver.answer = 500;
      const ep = await createEndpoint(t, key.token, {
        url: receiver.url,
        events: ['email.failed'],
      });
      const { Client } = await import('pg');
      const client = new Client({ connectionString: t.db.url });
      await client.connect();
      try {
        // A row the dispatcher will not touch (due in an hour).
        const id = await send(t, key, { tags: ['held'] });
        await client.query(
          `UPDATE email_messages SET next_attempt_at = now() + interval '1 hour' WHERE id = $1`,
          [id],
        );
        await client.query('BEGIN');
        await client.query(`UPDATE email_messages SET status = 'failed' WHERE id = $1`, [id]);
        const inside = await client.query(
          `SELECT event_type FROM webhook_deliveries WHERE email_id = $1`,
          [id],
        );
        expect(inside.rows).toEqual([{ event_type: 'email.failed' }]);
        await client.query('ROLLBACK');
        const after = await client.query(`SELECT 1 FROM webhook_deliveries WHERE email_id = $1`, [
          id,
        ]);
        expect(after.rows).toHaveLength(0);
        // email.sent is not subscribed: no row for it.
        await client.query(`UPDATE email_messages SET status = 'sent' WHERE id = $1`, [id]);
        const none = await client.query(`SELECT 1 FROM webhook_deliveries WHERE email_id = $1`, [
          id,
        ]);
        expect(none.rows).toHaveLength(0);
        // Statuses added by other features are matched by name.
        await client.query(`UPDATE webhook_endpoints SET events = NULL WHERE id = $1`, [ep.id]);
        await client.query(
          `ALTER TABLE email_messages DROP CONSTRAINT IF EXISTS email_messages_status_check`,
        );
        await client.query(`UPDATE email_messages SET status = 'bounced' WHERE id = $1`, [id]);
        const bounced = await client.query(
          `SELECT event_type, payload FROM webhook_deliveries WHERE email_id = $1`,
          [id],
        );
        expect(bounced.rows).toHaveLength(1);
        expect(bounced.rows[0].event_type).toBe('email.bounced');
        expect(bounced.rows[0].payload.data).toMatchObject({ status: 'bounced', tags: ['held'] });
      } finally {
        await client.end();
      }
    });
  });

  describe('delivery', () => {
    it('non-2xx answers retry on the schedule, then fail; the delivery list shows it; retry sends it again under the same id', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      const ep = await createEndpoint(t, key.token, { url: receiver.url });
      receiver.secrets.set('current', ep.secret);
      receiver.answer = 503;
      const test = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
        token: key.token,
      });
      expect(test.status).toBe(202);
      expect(test.body.data).toMatchObject({ type: 'webhook.test', status: 'pending' });
      const deliveryId = test.body.data.id as string;
      const failed = await waitFor(
        async () => {
          const res = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`, {
            token: key.token,
          });
          const d = res.body.data.items[0];
          return d?.status === 'failed' ? d : undefined;
        },
        { what: 'the test delivery to fail' },
      );
      // 1 + 3 retries (WEBHOOK_RETRY_SCHEDULE has three steps).
      expect(failed).toMatchObject({
        id: deliveryId,
        attempts: 4,
        lastStatusCode: 503,
        lastError: 'HTTP 503: no',
        nextAttemptAt: null,
      });
      expect(receiver.calls.map((c) => c.id)).toEqual(Array(4).fill(deliveryId));
      const gaps = receiver.calls.slice(1).map((c, i) => c.at - receiver.calls[i].at);
      expect(gaps[0]).toBeGreaterThanOrEqual(80);
      expect(gaps[2]).toBeGreaterThanOrEqual(240);

      receiver.answer = 200;
      const retried = await http(
        t.baseUrl,
        'POST',
        `/v1/webhook-endpoints/${ep.id}/deliveries/${deliveryId}/retry`,
        { token: key.token },
      );
      expect(retried.status).toBe(202);
      await waitFor(() => receiver.deliveredIds().has(deliveryId), { what: 'the retry' });
      const call = receiver.calls[receiver.calls.length - 1];
      expect(call.payload).toMatchObject({ type: 'webhook.test', data: { endpointId: ep.id } });
      expect(call.verifiedBy).toEqual(['current']);

      const missing = await http(
        t.baseUrl,
        'POST',
        `/v1/webhook-endpoints/${ep.id}/deliveries/msg_00000000000000000000000000000000/retry`,
        { token: key.token },
      );
      expect(missing.status).toBe(404);
    });

    it('deliveries are cursor-paginated, newest first', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      const ep = await createEndpoint(t, key.token, { url: receiver.url });
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const res = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
          token: key.token,
        });
        ids.push(res.body.data.id as string);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/webhook-endpoints/${ep.id}/deliveries?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page = await http(t.baseUrl, 'GET', path, { token: key.token });
        expect(page.status).toBe(200);
        seen.push(...(page.body.data.items as Array<{ id: string }>).map((d) => d.id));
        cursor = page.body.data.nextCursor as string | null;
      } while (cursor !== null);
      expect(seen).toEqual([...ids].reverse());
      const bad = await http(
        t.baseUrl,
        'GET',
        `/v1/webhook-endpoints/${ep.id}/deliveries?limit=0&cursor=zzz&x=1`,
        { token: key.token },
      );
      expect(bad.status).toBe(400);
      expect((bad.body.data.errors as Array<{ field: string }>).map((e) => e.field).sort()).toEqual(
        ['cursor', 'limit', 'x'],
      );
    });

    it('rotation: during the overlap both secrets verify; afterwards only the new one', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      const ep = await createEndpoint(t, key.token, { url: receiver.url });
      receiver.secrets.set('old', ep.secret);
      const rotated = await http(
        t.baseUrl,
        'POST',
        `/v1/webhook-endpoints/${ep.id}/rotate-secret`,
        {
          token: key.token,
        },
      );
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.data.secret as string;
      expect(fresh).toMatch(/^whsec_/);
      expect(fresh).not.toBe(ep.secret);
      const expires = Date.parse(rotated.body.data.previousSecretExpiresAt as string);
      expect(expires - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);
      receiver.secrets.set('new', fresh);

      const during = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
        token: key.token,
      });
      await waitFor(() => receiver.deliveredIds().has(during.body.data.id as string));
      const first = receiver.calls.find((c) => c.id === during.body.data.id)!;
      expect(first.signature.split(' ')).toHaveLength(2);
      expect(first.verifiedBy.sort()).toEqual(['new', 'old']);

      // The overlap ends (24 h in real time).
      await query(
        t.db.url,
        `UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`,
        [ep.id],
      );
      const after = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
        token: key.token,
      });
      await waitFor(() => receiver.deliveredIds().has(after.body.data.id as string));
      const second = receiver.calls.find((c) => c.id === after.body.data.id)!;
      expect(second.signature.split(' ')).toHaveLength(1);
      expect(second.verifiedBy).toEqual(['new']);
      const read = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}`, {
        token: key.token,
      });
      expect(read.body.data.previousSecretExpiresAt).toBeNull();
    });

    it('a slow receiver does not hold up another endpoint or the mail dispatcher', async () => {
      const slow = await startWebhookReceiver();
      slow.delayMs = 3_000;
      try {
        const key = await createKey(t, newTenantId(), ALL_SCOPES);
        await createEndpoint(t, key.token, { url: slow.url, events: ['email.sent'] });
        const fast = await createEndpoint(t, key.token, {
          url: receiver.url,
          events: ['email.sent'],
        });
        receiver.secrets.set('current', fast.secret);
        const started = Date.now();
        const ids: string[] = [];
        for (let i = 0; i < 30; i += 1) {
          ids.push(await send(t, key));
        }
        await waitFor(() => receiver.deliveredIds().size === ids.length, {
          what: 'the fast endpoint to get every event',
          timeoutMs: 5_000,
        });
        // The fast endpoint had them all before the slow one answered its first few.
        expect(Date.now() - started).toBeLessThan(3_000 + 2_000);
        const sent = await query<{ n: number }>(
          t.db.url,
          `SELECT count(*)::int AS n FROM email_messages WHERE id = ANY($1) AND status = 'sent'`,
          [ids],
        );
        expect(sent[0].n).toBe(ids.length);
        // At most WEBHOOK_ENDPOINT_CONCURRENCY (4) calls were open at the slow one at a time.
        const inFlight = await query<{ n: number }>(
          t.db.url,
          `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN webhook_endpoints e
             ON e.tenant_id = d.tenant_id AND e.id = d.endpoint_id
           WHERE e.url = $1 AND d.status = 'delivering'`,
          [slow.url],
        );
        expect(inFlight[0].n).toBeLessThanOrEqual(4);
      } finally {
        await slow.close();
      }
    });
  });

  describe('metrics', () => {
    it('exposes attempts by outcome, outbox depth and oldest pending age', async () => {
      const res = await http(t.baseUrl, 'GET', '/metrics');
      expect(res.text).toMatch(/mailgate_webhook_attempts_total\{outcome="delivered"\} \d+/);
      expect(res.text).toMatch(/mailgate_webhook_attempts_total\{outcome="retry"\} \d+/);
      expect(res.text).toMatch(/mailgate_webhook_outbox_deliveries\{status="pending"\} \d+/);
      expect(res.text).toMatch(/mailgate_webhook_outbox_oldest_age_seconds [\d.]+/);
    });
  });
});

describe('webhooks: an endpoint failing for too long is disabled', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms',
        WEBHOOK_DISABLE_AFTER: '500ms',
        WEBHOOK_POLL_MS: '50',
      },
    });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('is disabled, says why, and what it had waiting fails; enabling clears the record', async () => {
    const key = await createKey(t, newTenantId(), ALL_SCOPES);
    const ep = await createEndpoint(t, key.token, { url: receiver.url });
    receiver.answer = 500;
    await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, { token: key.token });
    await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, { token: key.token });
    const disabled = await waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}`, {
          token: key.token,
        });
        return res.body.data.disabled === true ? res.body.data : undefined;
      },
      { what: 'the endpoint to be disabled' },
    );
    expect(disabled.disabledReason).toMatch(/^every attempt failed since \d{4}-/);
    expect(disabled.failingSince).not.toBeNull();
    // What it had waiting fails (an attempt that ended meanwhile, within the 5 s sweep).
    await waitFor(
      async () => {
        const list = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`, {
          token: key.token,
        });
        const statuses = (list.body.data.items as Array<{ status: string }>).map((d) => d.status);
        return statuses.length === 2 && statuses.every((s) => s === 'failed');
      },
      { what: 'both deliveries failed' },
    );
    const test = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${ep.id}/test`, {
      token: key.token,
    });
    expect(test.status).toBe(409);

    const enabled = await http(t.baseUrl, 'PATCH', `/v1/webhook-endpoints/${ep.id}`, {
      token: key.token,
      body: { disabled: false },
    });
    expect(enabled.body.data).toMatchObject({
      disabled: false,
      disabledReason: null,
      failingSince: null,
    });
  });
});
