import { ManagementClient } from 'authing-node-sdk';
// The SDK's own signing code (node_modules/authing-node-sdk/src/utils/buildSignature.ts).
import {
  buildAuthorization,
  buildStringToSign,
  DEFAULT_HEADERS,
} from 'authing-node-sdk/dist/utils/buildSignature';
import { createApiKey, newTenantId, rootHeaders, type CreatedKey } from '../factories/api-keys';
import { query } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { GenAuthProbeController, startTenancyTestApp } from './tenancy-test-app';

function sdkClient(t: TestApp, key: Pick<CreatedKey, 'id' | 'secret'>, tenantId?: string) {
  return new ManagementClient({
    accessKeyId: key.id,
    accessKeySecret: key.secret,
    host: t.baseUrl,
    ...(tenantId === undefined ? {} : { tenantId }),
  });
}

/** Headers exactly as ManagementHttpClient builds them, signed by the SDK's own functions. */
function sdkSignedHeaders(
  key: Pick<CreatedKey, 'id' | 'secret'>,
  method: string,
  path: string,
  fields: Record<string, unknown> = {},
  date = new Date(),
): Record<string, string> {
  const headers: Record<string, string> = {
    ...DEFAULT_HEADERS(),
    'x-authing-lang': 'zh-CN',
    date: date.toUTCString(),
  };
  headers.authorization = buildAuthorization(
    key.id,
    key.secret,
    buildStringToSign(method, path, headers, fields),
  );
  return headers;
}

describe("GenAuth signature with authing-node-sdk's ManagementClient", () => {
  let t: TestApp;
  let tenant: string;
  let admin: CreatedKey;

  beforeAll(async () => {
    t = await startTenancyTestApp({ controllers: [GenAuthProbeController] });
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(async () => {
    tenant = newTenantId();
    admin = await createApiKey(t.baseUrl, tenant, [
      'provider:write',
      'provider:read',
      'email:send',
    ]);
  });

  it('lists keys through makeRequest (GET /v1/api-keys)', async () => {
    const res = await sdkClient(t, admin).makeRequest({ method: 'GET', url: '/v1/api-keys' });
    expect(res).toMatchObject({ statusCode: 200, data: [{ id: admin.id, tenant }] });
  });

  it('verifies signed query parameters of every shape the SDK sends', async () => {
    const res = await sdkClient(t, admin).makeRequest({
      method: 'GET',
      url: '/v1/api-keys',
      params: {
        cursor: 'a b+c&d=e/é',
        limit: 10,
        desc: true,
        off: false,
        ids: ['x', 'y z'],
        none: undefined,
      },
    });
    expect(res).toMatchObject({ statusCode: 200 });
  });

  it('verifies a GET whose params are all undefined (the SDK signs `path?`)', async () => {
    const res = await sdkClient(t, admin).makeRequest({
      method: 'GET',
      url: '/v1/api-keys',
      params: { keywords: undefined },
    });
    expect(res).toMatchObject({ statusCode: 200 });
  });

  it('verifies a signed JSON body: creates a key through the SDK', async () => {
    const res = await sdkClient(t, admin).makeRequest({
      method: 'POST',
      url: '/v1/api-keys',
      data: { name: 'made by the SDK', scopes: ['email:send'] },
    });
    expect(res).toMatchObject({ statusCode: 201, data: { tenant, scopes: ['email:send'] } });
    const made = res.data as CreatedKey;
    const check = await http<{ data: Array<{ id: string }> }>(t.baseUrl, 'GET', '/v1/api-keys', {
      headers: rootHeaders(tenant),
    });
    expect(check.body.data.map((k) => k.id)).toContain(made.id);
  });

  it('verifies nested, null, boolean and array body fields on an /api/v3 route', async () => {
    const body = {
      type: 'custom',
      enabled: true,
      smtpConfig: { smtp_host: 'smtp.example.com', smtp_port: 465, secure: true },
      tags: ['a', 'b'],
      nothing: null,
      skipped: undefined,
      text: '邮件 "quoted"\n',
    };
    // JSON drops undefined fields; the SDK skips them when signing too.
    const { skipped: _skipped, ...sent } = body;
    const res = await sdkClient(t, admin, 'app-tenant-1').makeRequest({
      method: 'POST',
      url: '/api/v3/tenancy-probe',
      data: body,
    });
    expect(res).toMatchObject({
      statusCode: 201,
      data: {
        principal: { tenantId: tenant, keyId: admin.id, root: false },
        body: sent,
      },
    });
  });

  it('resolves (not throws) statusCode 401 for a wrong secret on /api/v3 routes', async () => {
    const client = sdkClient(t, { id: admin.id, secret: `${admin.secret}x` });
    await expect(client.getEmailProvider()).resolves.toMatchObject({
      statusCode: 401,
      apiCode: 40101,
      message: 'Signature does not match the request',
    });
    await expect(
      client.makeRequest({ method: 'GET', url: '/api/v3/tenancy-probe' }),
    ).resolves.toMatchObject({
      statusCode: 401,
      apiCode: 40101,
    });
  });

  it('answers HTTP 401 for a wrong secret on /v1 routes (the SDK throws there)', async () => {
    const client = sdkClient(t, { id: admin.id, secret: `${admin.secret}x` });
    await expect(client.makeRequest({ method: 'GET', url: '/v1/api-keys' })).rejects.toMatchObject({
      response: { status: 401, data: { statusCode: 401, apiCode: 40101 } },
    });
  });

  it('resolves 401 for an unknown or revoked key and 403 for a missing scope', async () => {
    await expect(
      sdkClient(t, { id: 'mgk_0123456789abcdef', secret: admin.secret }).makeRequest({
        method: 'GET',
        url: '/api/v3/tenancy-probe',
      }),
    ).resolves.toMatchObject({ statusCode: 401, apiCode: 40100 });

    const sender = await createApiKey(t.baseUrl, tenant, ['email:send']);
    await expect(
      sdkClient(t, sender).makeRequest({ method: 'GET', url: '/api/v3/tenancy-probe' }),
    ).resolves.toMatchObject({ statusCode: 403, apiCode: 40300 });

    await http(t.baseUrl, 'DELETE', `/v1/api-keys/${sender.id}`, { headers: rootHeaders(tenant) });
    await expect(
      sdkClient(t, sender).makeRequest({ method: 'GET', url: '/api/v3/tenancy-probe' }),
    ).resolves.toMatchObject({ statusCode: 401, apiCode: 40100 });
  });

  it('refuses the root key id in a signature (root is Bearer only)', async () => {
    const client = sdkClient(t, {
      id: 'root_test',
      secret: 'rootsecret-for-tests-only-0123456789',
    });
    await expect(
      client.makeRequest({ method: 'GET', url: '/api/v3/tenancy-probe' }),
    ).resolves.toMatchObject({
      statusCode: 401,
    });
  });

  it('accepts a request signed by the SDK functions once, and refuses its replay', async () => {
    const headers = sdkSignedHeaders(admin, 'GET', '/v1/api-keys');
    const first = await http(t.baseUrl, 'GET', '/v1/api-keys', { headers });
    expect(first.status).toBe(200);
    const replay = await http(t.baseUrl, 'GET', '/v1/api-keys', { headers });
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({
      apiCode: 40103,
      message: 'Signature nonce was already used',
    });
  });

  it('refuses a date 16 minutes off, either way, and accepts 14 minutes', async () => {
    for (const offsetMin of [-16, 16]) {
      const date = new Date(Date.now() + offsetMin * 60_000);
      const res = await http(t.baseUrl, 'GET', '/v1/api-keys', {
        headers: sdkSignedHeaders(admin, 'GET', '/v1/api-keys', {}, date),
      });
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ apiCode: 40102 });
    }
    const ok = await http(t.baseUrl, 'GET', '/v1/api-keys', {
      headers: sdkSignedHeaders(
        admin,
        'GET',
        '/v1/api-keys',
        {},
        new Date(Date.now() - 14 * 60_000),
      ),
    });
    expect(ok.status).toBe(200);
  });

  it('resolves 401 on /api/v3 for a stale date', async () => {
    const res = await http(t.baseUrl, 'GET', '/api/v3/tenancy-probe', {
      headers: sdkSignedHeaders(
        admin,
        'GET',
        '/api/v3/tenancy-probe',
        {},
        new Date(Date.now() - 16 * 60_000),
      ),
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ statusCode: 401, apiCode: 40102 });
  });

  it('refuses a request without nonce, without date, or with a tampered query or body', async () => {
    const noNonce = sdkSignedHeaders(admin, 'GET', '/v1/api-keys');
    delete noNonce['x-authing-signature-nonce'];
    noNonce.authorization = buildAuthorization(
      admin.id,
      admin.secret,
      buildStringToSign('GET', '/v1/api-keys', noNonce, {}),
    );
    expect((await http(t.baseUrl, 'GET', '/v1/api-keys', { headers: noNonce })).body).toMatchObject(
      {
        statusCode: 401,
        apiCode: 40101,
      },
    );

    const noDate = sdkSignedHeaders(admin, 'GET', '/v1/api-keys');
    delete noDate.date;
    noDate.authorization = buildAuthorization(
      admin.id,
      admin.secret,
      buildStringToSign('GET', '/v1/api-keys', noDate, {}),
    );
    expect((await http(t.baseUrl, 'GET', '/v1/api-keys', { headers: noDate })).body).toMatchObject({
      statusCode: 401,
      apiCode: 40101,
    });

    const signedQuery = sdkSignedHeaders(admin, 'GET', '/v1/api-keys', { limit: '1' });
    const tamperedQuery = await http(t.baseUrl, 'GET', '/v1/api-keys?limit=2', {
      headers: signedQuery,
    });
    expect(tamperedQuery.body).toMatchObject({ statusCode: 401, apiCode: 40101 });

    const signedBody = sdkSignedHeaders(admin, 'POST', '/v1/api-keys', { scopes: ['email:send'] });
    const tamperedBody = await http(t.baseUrl, 'POST', '/v1/api-keys', {
      headers: signedBody,
      body: { scopes: ['provider:write'] },
    });
    expect(tamperedBody.body).toMatchObject({ statusCode: 401, apiCode: 40101 });
  });

  it('refuses a signed request naming another tenant in x-authing-userpool-id', async () => {
    const headers = {
      ...DEFAULT_HEADERS(),
      date: new Date().toUTCString(),
      'x-authing-userpool-id': newTenantId(),
    };
    const signed = {
      ...headers,
      authorization: buildAuthorization(
        admin.id,
        admin.secret,
        buildStringToSign('GET', '/v1/api-keys', headers, {}),
      ),
    };
    const res = await http(t.baseUrl, 'GET', '/v1/api-keys', { headers: signed });
    expect(res.status).toBe(403);
  });
});

describe('signature nonces across replicas', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ db: a.db });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('refuses on one replica a nonce used on another', async () => {
    const key = await createApiKey(a.baseUrl, newTenantId(), ['provider:write']);
    const headers = sdkSignedHeaders(key, 'GET', '/v1/api-keys');
    expect((await http(a.baseUrl, 'GET', '/v1/api-keys', { headers })).status).toBe(200);
    const replay = await http(b.baseUrl, 'GET', '/v1/api-keys', { headers });
    expect(replay.status).toBe(401);
    expect(replay.body.apiCode).toBe(40103);
  });
});

describe('signature nonce pruning', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Its own replica: pruning runs on the first claim, then at most every 10 minutes.
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores each nonce until its date leaves the window, then prunes it', async () => {
    const tenant = newTenantId();
    const key = await createApiKey(t.baseUrl, tenant, ['provider:write']);
    // An expired row of this key, then the replica's first signed request.
    await query(
      t.db.url,
      `INSERT INTO auth_nonces (tenant_id, key_id, nonce, expires_at) VALUES ($1, $2, 'old', now() - interval '5 minutes')`,
      [tenant, key.id],
    );
    const headers = sdkSignedHeaders(key, 'GET', '/v1/api-keys');
    expect((await http(t.baseUrl, 'GET', '/v1/api-keys', { headers })).status).toBe(200);
    await waitFor(
      async () =>
        (
          await query(t.db.url, `SELECT 1 FROM auth_nonces WHERE key_id = $1 AND nonce = 'old'`, [
            key.id,
          ])
        ).length === 0,
      { what: 'the expired nonce to be pruned' },
    );
    const [fresh] = await query<{ expires_at: Date }>(
      t.db.url,
      'SELECT expires_at FROM auth_nonces WHERE key_id = $1 AND nonce = $2',
      [key.id, headers['x-authing-signature-nonce']],
    );
    const signedAt = Date.parse(headers.date);
    expect(fresh.expires_at.getTime()).toBe(signedAt + 16 * 60_000);
  });
});
