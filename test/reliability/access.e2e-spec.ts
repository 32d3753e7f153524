import { createHash } from 'node:crypto';
import { query } from '../support/database';
import { http, startTestApp, TEST_ROOT_KEY, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, rootHeaders, type TestKey } from '../factories/emails';
import { routesOf, type RouteEntry } from './support/routes';
import type { Answer } from './support/gateway';

const SCOPES = [
  'email:send',
  'email:read',
  'provider:write',
  'provider:read',
  'webhooks:write',
] as const;
type Scope = (typeof SCOPES)[number];

/** Routes anyone may call: probes, Prometheus, the API docs and the console's static files. */
function isPublic(path: string): boolean {
  return (
    path.startsWith('/health/') ||
    path === '/metrics' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path === '/console' ||
    path.startsWith('/console/') ||
    path.startsWith('/console*') ||
    isSigned(path)
  );
}

/** Authenticated by the provider's signature instead of a key (test/events/sendgrid-events.e2e-spec.ts). */
function isSigned(path: string): boolean {
  return path.startsWith('/v1/provider-events/');
}

/** The scope every authenticated route needs (ARCHITECTURE.md). A new route must be added here. */
const REQUIRED_SCOPE: Record<string, Scope> = {
  'POST /v1/emails': 'email:send',
  'POST /v1/emails/batch': 'email:send',
  'GET /v1/emails': 'email:read',
  'GET /v1/emails/:id': 'email:read',
  'POST /v1/emails/:id/retry': 'email:send',
  'POST /v1/api-keys': 'provider:write',
  'GET /v1/api-keys': 'provider:write',
  'DELETE /v1/api-keys/:id': 'provider:write',
  'POST /api/v3/config-email-provider': 'provider:write',
  'GET /api/v3/get-email-provider': 'provider:read',
  'GET /api/v3/email-provider-history': 'provider:read',
  'POST /api/v3/verify-email-provider': 'provider:write',
  'POST /api/v3/send-test-email': 'provider:write',
  'GET /v1/emails/:id/events': 'email:read',
  'GET /v1/suppressions': 'email:read',
  'POST /v1/suppressions': 'provider:write',
  'DELETE /v1/suppressions/:email': 'provider:write',
  'GET /v1/stats': 'email:read',
  'GET /api/v3/get-email-templates': 'provider:read',
  'POST /api/v3/update-email-template': 'provider:write',
  'POST /api/v3/preview-email-template': 'provider:read',
  'GET /api/v3/email-template-history': 'provider:read',
  'POST /v1/webhook-endpoints': 'webhooks:write',
  'GET /v1/webhook-endpoints': 'webhooks:write',
  'GET /v1/webhook-endpoints/:id': 'webhooks:write',
  'PATCH /v1/webhook-endpoints/:id': 'webhooks:write',
  'DELETE /v1/webhook-endpoints/:id': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/rotate-secret': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/test': 'webhooks:write',
  'GET /v1/webhook-endpoints/:id/deliveries': 'webhooks:write',
  'POST /v1/webhook-endpoints/:id/deliveries/:deliveryId/retry': 'webhooks:write',
};

/** Routes for the root key alone (operators across tenants): every API key gets 403. */
const ROOT_ONLY = new Set(['GET /v1/stats/tenants']);

/** Tenant A's suppressed address: the id of the suppression routes. */
const SUPPRESSED = 'blocked@example.test';

const name = (r: RouteEntry): string => `${r.method} ${r.path}`;

/**
 * Access control over every route the app serves, found by walking its route table: a route
 * added without @RequireScopes or without auth fails here until it is listed.
 */
describe('reliability: access control on every route', () => {
  let t: TestApp;
  let routes: RouteEntry[];
  const keysWith = new Map<string, TestKey>();
  let tenantA: string;
  let keyA: TestKey;
  let keyB: TestKey;
  let otherKeyOfA: TestKey;
  let emailOfA: string;
  let endpointOfA: string;
  let deliveryOfA: string;

  beforeAll(async () => {
    t = await startTestApp({
      // Dozens of deliberate 401s from one address: the failed-auth throttle has its own spec.
      env: { MAILGATE_ROLE: 'api', MAILGATE_AUTH_FAILURE_RPS: '0' },
    });
    routes = routesOf(t.app);
    tenantA = newTenantId();
    const tenantB = newTenantId();
    [keyA, keyB, otherKeyOfA] = await Promise.all([
      createKey(t, tenantA, [...SCOPES]),
      createKey(t, tenantB, [...SCOPES]),
      createKey(t, tenantA, ['email:read']),
    ]);
    // One key per scope, and one holding every scope but that one, in a third tenant.
    const tenantC = newTenantId();
    for (const scope of SCOPES) {
      keysWith.set(`only ${scope}`, await createKey(t, tenantC, [scope]));
      keysWith.set(
        `all but ${scope}`,
        await createKey(
          t,
          tenantC,
          SCOPES.filter((s) => s !== scope),
        ),
      );
    }
    // Tenant A owns a failed message and a provider config.
    const sent = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: keyA.token,
      body: anEmail(),
    });
    emailOfA = sent.body.data.id as string;
    await query(t.db.url, `UPDATE email_messages SET status = 'failed' WHERE id = $1`, [emailOfA]);
    const saved = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', {
      token: keyA.token,
      body: {
        type: 'sendgrid',
        enabled: true,
        sendGridConfig: { sender: 'a@example.test', apikey: 'SG.tenant-a-key' },
      },
    });
    expect(saved.body.statusCode).toBe(200);
    const suppressed = await http(t.baseUrl, 'POST', '/v1/suppressions', {
      token: keyA.token,
      body: { email: SUPPRESSED },
    });
    expect(suppressed.status).toBeLessThan(300);
    // And a webhook endpoint with one delivery (MAILGATE_ROLE=api: no worker sends it).
    const endpoint = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', {
      token: keyA.token,
      body: { url: 'http://127.0.0.1:9/tenant-a-hook' },
    });
    endpointOfA = endpoint.body.data.id as string;
    const delivery = await http(t.baseUrl, 'POST', `/v1/webhook-endpoints/${endpointOfA}/test`, {
      token: keyA.token,
    });
    deliveryOfA = delivery.body.data.id as string;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A concrete request for a route: ids substituted, a body for POSTs. */
  function request(
    route: RouteEntry,
    ids: { email: string; key: string; endpoint: string; delivery: string },
  ) {
    const path = route.path
      .replace(/^\/v1\/emails\/:id/, `/v1/emails/${ids.email}`)
      .replace(/^\/v1\/webhook-endpoints\/:id/, `/v1/webhook-endpoints/${ids.endpoint}`)
      .replace('/deliveries/:deliveryId', `/deliveries/${ids.delivery}`)
      .replace(/^\/v1\/api-keys\/:id/, `/v1/api-keys/${ids.key}`)
      .replace('/v1/suppressions/:email', `/v1/suppressions/${encodeURIComponent(SUPPRESSED)}`)
      .replace('/docs/assets/:file', '/docs/assets/swagger-ui.css');
    const body =
      route.method !== 'POST'
        ? undefined
        : route.path === '/v1/emails/batch'
          ? { messages: [anEmail()] }
          : route.path === '/v1/emails'
            ? anEmail()
            : route.path === '/v1/api-keys'
              ? { scopes: ['provider:write'] }
              : route.path === '/api/v3/send-test-email'
                ? { email: 'ada@example.test' }
                : route.path === '/v1/suppressions'
                  ? { email: 'someone@example.test' }
                  : route.path === '/v1/webhook-endpoints'
                    ? { url: 'http://127.0.0.1:9/hook' }
                    : {};
    return { path, body };
  }

  /** statusCode of an answer, after checking the envelope and the HTTP status convention. */
  function outcome(path: string, res: Answer): number {
    expect(res.body).toMatchObject({
      statusCode: expect.any(Number),
      requestId: expect.any(String),
    });
    expect(res.status).toBe(path.startsWith('/api/v3/') ? 200 : res.body.statusCode);
    return res.body.statusCode as number;
  }

  const ids = (): { email: string; key: string; endpoint: string; delivery: string } => ({
    email: emailOfA,
    key: otherKeyOfA.id,
    endpoint: endpointOfA,
    delivery: deliveryOfA,
  });

  it('finds the routes, and every one is either public or has its scope listed', () => {
    const names = routes.map(name);
    // The walk works: it sees routes of every family.
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /health/live',
        'POST /v1/emails/batch',
        'POST /v1/emails/:id/retry',
        'DELETE /v1/api-keys/:id',
        'POST /api/v3/config-email-provider',
      ]),
    );
    const unlisted = routes.filter(
      (r) => !isPublic(r.path) && !ROOT_ONLY.has(name(r)) && REQUIRED_SCOPE[name(r)] === undefined,
    );
    expect(unlisted.map(name)).toEqual([]);
    const gone = [...Object.keys(REQUIRED_SCOPE), ...ROOT_ONLY].filter((n) => !names.includes(n));
    expect(gone).toEqual([]);
  });

  it('answers 401 on every protected route without a key, with a malformed one, or a wrong secret', async () => {
    const wrongSecret = `${keyA.id}.${'x'.repeat(keyA.secret.length)}`;
    for (const route of routes.filter((r) => !isPublic(r.path))) {
      const { path, body } = request(route, ids());
      for (const authorization of [
        undefined,
        'Bearer',
        'Bearer nodot',
        `Bearer ${wrongSecret}`,
        'Basic YTpi',
      ]) {
        const res = await http(t.baseUrl, route.method, path, {
          body,
          headers: authorization === undefined ? {} : { authorization },
        });
        expect({ route: name(route), authorization, status: outcome(path, res) }).toEqual({
          route: name(route),
          authorization,
          status: 401,
        });
        expect(res.body.apiCode).toBe(40100);
      }
    }
  });

  it('answers 403 to a key without the route scope, and lets a key with only that scope through', async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => !isPublic(r.path))) {
      const { path, body } = request(route, ids());
      if (ROOT_ONLY.has(name(route))) {
        // Even a key with every scope is refused; the root key gets through.
        const keyed = await http(t.baseUrl, route.method, path, { token: keyA.token, body });
        const rooted = await http(t.baseUrl, route.method, path, {
          headers: rootHeaders(tenantA),
          body,
        });
        if (outcome(path, keyed) !== 403 || [401, 403].includes(outcome(path, rooted))) {
          wrong.push(
            `${name(route)}: key ${keyed.body.statusCode}, root ${rooted.body.statusCode}`,
          );
        }
        continue;
      }
      const scope = REQUIRED_SCOPE[name(route)];
      const denied = await http(t.baseUrl, route.method, path, {
        token: keysWith.get(`all but ${scope}`)!.token,
        body,
      });
      if (outcome(path, denied) !== 403 || denied.body.apiCode !== 40300) {
        wrong.push(`${name(route)} without ${scope}: ${denied.body.statusCode}`);
      }
      const allowed = await http(t.baseUrl, route.method, path, {
        token: keysWith.get(`only ${scope}`)!.token,
        body,
      });
      if ([401, 403].includes(outcome(path, allowed))) {
        wrong.push(`${name(route)} with only ${scope}: ${allowed.body.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('leaves public routes open', async () => {
    for (const route of routes.filter(
      (r) =>
        isPublic(r.path) &&
        !isSigned(r.path) &&
        !r.path.includes('*') &&
        !r.path.includes(':build'),
    )) {
      const { path } = request(route, ids());
      const res = await http(t.baseUrl, route.method, path);
      expect({ route: name(route), status: res.status }).toEqual({
        route: name(route),
        status: 200,
      });
    }
  });

  it("shows another tenant's resources to nobody: 404 by id, absent from lists", async () => {
    for (const route of routes.filter((r) => r.path.includes(':'))) {
      if (isPublic(route.path)) {
        continue;
      }
      const { path, body } = request(route, ids());
      // Tenant B's key, and the root key acting for tenant B.
      for (const headers of [
        { authorization: `Bearer ${keyB.token}` },
        rootHeaders(newTenantId()),
      ]) {
        const res = await http(t.baseUrl, route.method, path, { body, headers });
        expect({ route: name(route), status: outcome(path, res) }).toEqual({
          route: name(route),
          status: 404,
        });
      }
    }
    // A's resources are untouched: the message is still failed, the key still works.
    const [row] = await query<{ status: string }>(
      t.db.url,
      'SELECT status FROM email_messages WHERE id = $1',
      [emailOfA],
    );
    expect(row.status).toBe('failed');
    expect(
      (await http(t.baseUrl, 'GET', `/v1/emails/${emailOfA}`, { token: otherKeyOfA.token })).status,
    ).toBe(200);

    const lists = await Promise.all([
      http(t.baseUrl, 'GET', '/v1/emails', { token: keyB.token }),
      http(t.baseUrl, 'GET', '/v1/api-keys', { token: keyB.token }),
      http(t.baseUrl, 'GET', '/api/v3/get-email-provider', { token: keyB.token }),
      http(t.baseUrl, 'GET', '/api/v3/email-provider-history', { token: keyB.token }),
      http(t.baseUrl, 'GET', '/api/v3/email-template-history', { token: keyB.token }),
      http(t.baseUrl, 'POST', '/api/v3/verify-email-provider', { token: keyB.token, body: {} }),
      http(t.baseUrl, 'POST', '/api/v3/send-test-email', {
        token: keyB.token,
        body: { email: 'ada@example.test' },
      }),
      http(t.baseUrl, 'GET', '/v1/webhook-endpoints', { token: keyB.token }),
    ]);
    const seenByB = lists.map((r) => r.text).join('\n');
    for (const mark of [
      emailOfA,
      keyA.id,
      otherKeyOfA.id,
      tenantA,
      'a@example.test',
      endpointOfA,
      'tenant-a-hook',
    ]) {
      expect(seenByB).not.toContain(mark);
    }
    expect(lists[2].body.data).toBeNull();
    expect(lists[5].body.statusCode).toBe(404);
    expect(lists[6].body.statusCode).toBe(404);
  });

  it('stores API key secrets only hashed (keyed) and encrypted, never in plaintext', async () => {
    const rows = await query<{ id: string; row: string; secret_hash: string }>(
      t.db.url,
      'SELECT id, secret_hash, to_jsonb(k)::text AS row FROM api_keys k WHERE id = ANY($1)',
      [[keyA.id, keyB.id, otherKeyOfA.id]],
    );
    expect(rows).toHaveLength(3);
    for (const key of [keyA, keyB, otherKeyOfA]) {
      const { row, secret_hash } = rows.find((r) => r.id === key.id)!;
      const unkeyed = (value: string) => [
        createHash('sha256').update(value).digest('hex'),
        createHash('sha256').update(value).digest('base64'),
        createHash('sha256').update(value).digest('base64url'),
      ];
      for (const forbidden of [
        key.secret,
        key.token,
        ...unkeyed(key.secret),
        ...unkeyed(key.token),
      ]) {
        expect(row).not.toContain(forbidden);
      }
      // `<secret key id>:<HMAC-SHA256, base64url>`: keyed by MAILGATE_SECRET_KEY, not a bare digest.
      expect(secret_hash).toMatch(/^[\w-]{1,16}:[\w-]{43}$/);
    }
  });

  it('answers every wrong secret the same way, whatever its length or how much of it matches', async () => {
    const candidates = [
      'x',
      keyA.secret.slice(0, -1),
      `${keyA.secret.slice(0, -1)}${keyA.secret.endsWith('A') ? 'B' : 'A'}`,
      `${keyA.secret}x`,
      'y'.repeat(500),
    ];
    const answers = await Promise.all(
      candidates.map((s) =>
        http(t.baseUrl, 'GET', '/v1/emails', {
          headers: { authorization: `Bearer ${keyA.id}.${s}` },
        }),
      ),
    );
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect({ message: res.body.message, apiCode: res.body.apiCode }).toEqual({
        message: answers[0].body.message,
        apiCode: 40100,
      });
    }
    // The root key too (compared as SHA-256 digests, so its length does not leak either).
    const rootId = TEST_ROOT_KEY.split('.')[0];
    const root = await http(t.baseUrl, 'GET', '/v1/emails', {
      headers: { authorization: `Bearer ${rootId}.short`, 'x-authing-userpool-id': tenantA },
    });
    expect(root.body).toMatchObject({ statusCode: 401, message: answers[0].body.message });
  });
});
