import { createApiKey, newTenantId, rootHeaders } from '../factories/api-keys';
import { query } from '../support/database';
import { http, startTestApp, TEST_ROOT_KEY, waitFor, type TestApp } from '../support/test-app';
import { startTenancyTestApp } from './tenancy-test-app';

describe('API keys and Bearer auth (real AppModule over HTTP, real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('POST /v1/api-keys', () => {
    it('creates a key with the root key and shows its secret once', async () => {
      const tenant = newTenantId();
      const res = await http(t.baseUrl, 'POST', '/v1/api-keys', {
        headers: rootHeaders(tenant),
        body: { name: 'billing', scopes: ['email:send', 'email:read'] },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        statusCode: 201,
        message: 'success',
        requestId: expect.any(String),
        data: {
          id: expect.stringMatching(/^mgk_[0-9a-f]{16}$/),
          secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          token: expect.any(String),
          tenant,
          scopes: ['email:send', 'email:read'],
          name: 'billing',
          createdAt: expect.any(String),
        },
      });
      const { id, secret, token } = res.body.data;
      expect(token).toBe(`${id}.${secret}`);
      await expect(
        query(t.db.url, 'SELECT id FROM tenants WHERE id = $1', [tenant]),
      ).resolves.toEqual([{ id: tenant }]);
    });

    it('stores no plaintext secret and never logs it', async () => {
      const tenant = newTenantId();
      const key = await createApiKey(t.baseUrl, tenant, ['email:send']);
      const rows = await query<{ row: string; secret_hash: string; secret_ciphertext: string }>(
        t.db.url,
        'SELECT row_to_json(k)::text AS row, secret_hash, secret_ciphertext FROM api_keys k WHERE tenant_id = $1',
        [tenant],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].row).not.toContain(key.secret);
      expect(rows[0].secret_hash).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
      expect(rows[0].secret_ciphertext).toMatch(/^k1:[^:]+:[^:]+:[^:]+$/);
      expect(t.logs.join('\n')).not.toContain(key.secret);
    });

    it('answers 400 naming unknown fields and bad scopes', async () => {
      const res = await http(t.baseUrl, 'POST', '/v1/api-keys', {
        headers: rootHeaders(newTenantId()),
        body: { scopes: ['email:send', 'admin'], owner: 'x' },
      });
      expect(res.status).toBe(400);
      expect(res.body.apiCode).toBe(40000);
      expect(res.body.message).toContain('owner');
      expect(res.body.message).toContain('scopes');
      const empty = await http(t.baseUrl, 'POST', '/v1/api-keys', {
        headers: rootHeaders(newTenantId()),
        body: { scopes: [] },
      });
      expect(empty.status).toBe(400);
      expect(empty.body.message).toContain('scopes');
    });

    it('lets a provider:write key create keys with scopes it holds, and no others', async () => {
      const tenant = newTenantId();
      const admin = await createApiKey(t.baseUrl, tenant, ['provider:write', 'email:send']);
      const ok = await http(t.baseUrl, 'POST', '/v1/api-keys', {
        token: admin.token,
        body: { scopes: ['email:send'] },
      });
      expect(ok.status).toBe(201);
      expect(ok.body.data).toMatchObject({ tenant, scopes: ['email:send'] });
      const beyond = await http(t.baseUrl, 'POST', '/v1/api-keys', {
        token: admin.token,
        body: { scopes: ['email:send', 'email:read'] },
      });
      expect(beyond.status).toBe(403);
      expect(beyond.body).toMatchObject({
        statusCode: 403,
        apiCode: 40300,
        data: { missingScopes: ['email:read'] },
      });
    });
  });

  describe('GET /v1/api-keys', () => {
    it("lists the tenant's keys without secrets", async () => {
      const tenant = newTenantId();
      const a = await createApiKey(t.baseUrl, tenant, ['provider:write'], 'a');
      const b = await createApiKey(t.baseUrl, tenant, ['email:read'], 'b');
      await createApiKey(t.baseUrl, newTenantId(), ['email:read'], 'elsewhere');
      const res = await http(t.baseUrl, 'GET', '/v1/api-keys', { headers: rootHeaders(tenant) });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([
        {
          id: a.id,
          tenant,
          name: 'a',
          scopes: ['provider:write'],
          createdAt: a.createdAt,
          createdBy: 'root_test',
          lastUsedAt: null,
          revokedAt: null,
        },
        expect.objectContaining({ id: b.id, name: 'b', scopes: ['email:read'] }),
      ]);
      expect(res.text).not.toContain(a.secret);
      expect(res.text).not.toContain(b.secret);
      expect(res.text).not.toContain('"secret"');
    });

    it("confines a tenant key to its own tenant's keys", async () => {
      const tenant = newTenantId();
      const admin = await createApiKey(t.baseUrl, tenant, ['provider:write']);
      await createApiKey(t.baseUrl, newTenantId(), ['provider:write']);
      const res = await http<{ data: Array<{ id: string }> }>(t.baseUrl, 'GET', '/v1/api-keys', {
        token: admin.token,
      });
      expect(res.status).toBe(200);
      expect(res.body.data.map((k) => k.id)).toEqual([admin.id]);
    });
  });

  describe('Bearer authentication', () => {
    it('accepts a valid key and records its use at most once a minute', async () => {
      const key = await createApiKey(t.baseUrl, newTenantId(), ['provider:write']);
      const first = await http(t.baseUrl, 'GET', '/v1/api-keys', { token: key.token });
      expect(first.status).toBe(200);
      const lastUsed = await waitFor(
        async () =>
          (
            await query<{ last_used_at: Date | null }>(
              t.db.url,
              'SELECT last_used_at FROM api_keys WHERE id = $1',
              [key.id],
            )
          )[0].last_used_at ?? undefined,
        { what: 'last_used_at to be recorded' },
      );
      for (let i = 0; i < 3; i += 1) {
        expect((await http(t.baseUrl, 'GET', '/v1/api-keys', { token: key.token })).status).toBe(
          200,
        );
      }
      const [row] = await query<{ last_used_at: Date }>(
        t.db.url,
        'SELECT last_used_at FROM api_keys WHERE id = $1',
        [key.id],
      );
      expect(row.last_used_at.getTime()).toBe(lastUsed.getTime());
    });

    it.each([
      ['no Authorization header', undefined, 40100],
      ['an unknown key', 'mgk_0123456789abcdef.c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', 40100],
      ['a token without a dot', 'mgk_0123456789abcdef', 40100],
      ['a malformed key id', 'nope.secret', 40100],
      ['a wrong root secret', `${TEST_ROOT_KEY.split('.')[0]}.wrong-root-secret-0123456789`, 40100],
    ])('answers 401 for %s', async (_name, token, apiCode) => {
      const res = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        headers: { 'x-authing-userpool-id': newTenantId() },
        token,
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, apiCode, data: null });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mailgate"');
    });

    it('answers 401 for a wrong secret of a real key', async () => {
      const key = await createApiKey(t.baseUrl, newTenantId(), ['provider:write']);
      const res = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        token: `${key.id}.${key.secret.slice(1)}A`,
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ apiCode: 40100, message: 'Invalid API key' });
    });

    it('answers 401 for an unsupported scheme', async () => {
      const res = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        headers: { authorization: 'Basic Zm9vOmJhcg==' },
      });
      expect(res.status).toBe(401);
    });

    it('answers 403 for a key without the scope', async () => {
      const key = await createApiKey(t.baseUrl, newTenantId(), ['email:send', 'provider:read']);
      const res = await http(t.baseUrl, 'GET', '/v1/api-keys', { token: key.token });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({
        statusCode: 403,
        apiCode: 40300,
        message: 'This API key lacks the scope provider:write',
        data: { missingScopes: ['provider:write'] },
      });
    });

    it('refuses a tenant key naming another tenant, and accepts it naming its own', async () => {
      const tenant = newTenantId();
      const key = await createApiKey(t.baseUrl, tenant, ['provider:write']);
      const other = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        token: key.token,
        headers: { 'x-authing-userpool-id': newTenantId() },
      });
      expect(other.status).toBe(403);
      expect(other.body.message).toContain('another tenant');
      const own = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        token: key.token,
        headers: { 'x-authing-userpool-id': tenant },
      });
      expect(own.status).toBe(200);
    });

    it('needs x-authing-userpool-id with the root key (400 naming it)', async () => {
      const missing = await http(t.baseUrl, 'GET', '/v1/api-keys', { token: TEST_ROOT_KEY });
      expect(missing.status).toBe(400);
      expect(missing.body).toMatchObject({
        apiCode: 40000,
        data: {
          errors: [
            { field: 'x-authing-userpool-id', messages: [expect.stringContaining('root key')] },
          ],
        },
      });
      const invalid = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        token: TEST_ROOT_KEY,
        headers: { 'x-authing-userpool-id': 'bad tenant/id' },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.data.errors[0].field).toBe('x-authing-userpool-id');
    });

    it('leaves public routes open', async () => {
      expect((await http(t.baseUrl, 'GET', '/health/live')).status).toBe(200);
    });
  });

  describe('DELETE /v1/api-keys/:id', () => {
    it('revokes a key: 401 at once on this replica, idempotent on repeat', async () => {
      const tenant = newTenantId();
      const key = await createApiKey(t.baseUrl, tenant, ['provider:write']);
      expect((await http(t.baseUrl, 'GET', '/v1/api-keys', { token: key.token })).status).toBe(200);
      const res = await http(t.baseUrl, 'DELETE', `/v1/api-keys/${key.id}`, {
        headers: rootHeaders(tenant),
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ id: key.id, revokedAt: expect.any(String) });
      const after = await http(t.baseUrl, 'GET', '/v1/api-keys', { token: key.token });
      expect(after.status).toBe(401);
      const again = await http(t.baseUrl, 'DELETE', `/v1/api-keys/${key.id}`, {
        headers: rootHeaders(tenant),
      });
      expect(again.body.data).toEqual(res.body.data);
      const listed = await http(t.baseUrl, 'GET', '/v1/api-keys', { headers: rootHeaders(tenant) });
      expect(listed.body.data[0]).toMatchObject({ id: key.id, revokedAt: res.body.data.revokedAt });
    });

    it("answers 404 for another tenant's key and leaves it working", async () => {
      const victim = await createApiKey(t.baseUrl, newTenantId(), ['provider:write']);
      const attacker = await createApiKey(t.baseUrl, newTenantId(), ['provider:write']);
      const byKey = await http(t.baseUrl, 'DELETE', `/v1/api-keys/${victim.id}`, {
        token: attacker.token,
      });
      expect(byKey.status).toBe(404);
      expect(byKey.body).toMatchObject({ statusCode: 404, apiCode: 40400 });
      const byRoot = await http(t.baseUrl, 'DELETE', `/v1/api-keys/${victim.id}`, {
        headers: rootHeaders(attacker.tenant),
      });
      expect(byRoot.status).toBe(404);
      expect((await http(t.baseUrl, 'GET', '/v1/api-keys', { token: victim.token })).status).toBe(
        200,
      );
    });

    it('answers 404 for a key that does not exist', async () => {
      const res = await http(t.baseUrl, 'DELETE', '/v1/api-keys/mgk_ffffffffffffffff', {
        headers: rootHeaders(newTenantId()),
      });
      expect(res.status).toBe(404);
    });
  });
});

describe('revocation across replicas', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
    // Replica B's key cache window is shortened through its injection token, instead of waiting 5 s.
    b = await startTenancyTestApp({ db: a.db, keyCacheTtlMs: 300 });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('reaches a replica that cached the key within its cache window', async () => {
    const tenant = newTenantId();
    const key = await createApiKey(a.baseUrl, tenant, ['provider:write']);
    expect((await http(b.baseUrl, 'GET', '/v1/api-keys', { token: key.token })).status).toBe(200);
    const revokedAt = Date.now();
    expect(
      (await http(a.baseUrl, 'DELETE', `/v1/api-keys/${key.id}`, { headers: rootHeaders(tenant) }))
        .status,
    ).toBe(200);
    await waitFor(
      async () =>
        (await http(b.baseUrl, 'GET', '/v1/api-keys', { token: key.token })).status === 401,
      { timeoutMs: 3_000, what: 'replica B to refuse the revoked key' },
    );
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
  });
});
