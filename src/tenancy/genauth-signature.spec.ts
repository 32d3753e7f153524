import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManagementClient } from 'authing-node-sdk';
// The SDK's own signing code (node_modules/authing-node-sdk/src/utils/buildSignature.ts).
import * as sdk from 'authing-node-sdk/dist/utils/buildSignature';
import {
  candidateStringsToSign,
  canonicalResource,
  parseAuthingAuthorization,
  queryFields,
  signString,
  stringToSign,
  verifySignature,
  type ReceivedRequest,
} from './genauth-signature';

const SDK_HEADERS = {
  accept: 'application/json',
  'content-type': 'application/json',
  'x-authing-signature-nonce': '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  'x-authing-signature-method': 'HMAC-SHA1',
  'x-authing-signature-version': '1.0',
  'user-agent': 'AuthingIdentityCloud (linux; x64) Node.js/v20 Core/4.0.1',
  'x-authing-sdk-version': 'authing-node-sdk:4.0.1',
  'x-authing-lang': 'zh-CN',
  date: 'Wed, 26 Nov 2025 02:00:00 GMT',
};

describe('stringToSign (port of the SDK buildStringToSign)', () => {
  const cases: Array<[string, string, Record<string, unknown>, object]> = [
    ['GET', '/api/v3/get-email-provider', SDK_HEADERS, {}],
    ['GET', '/v1/api-keys', SDK_HEADERS, { b: '2', a: '1', c: 'x y' }],
    ['GET', '/v1/emails', SDK_HEADERS, { status: 'sent', limit: 10, withMeta: true, off: false }],
    ['GET', '/v1/emails', SDK_HEADERS, { only: undefined }],
    ['GET', '/v1/emails', SDK_HEADERS, { a: undefined, b: 'kept' }],
    ['GET', '/v1/emails', SDK_HEADERS, { ids: ['a', 'b'], empty: [], nil: null }],
    ['GET', '/v1/emails', SDK_HEADERS, { q: 'a&b=c', u: '邮件 ✓', plus: '1+1' }],
    ['POST', '/api/v3/config-email-provider', SDK_HEADERS, {}],
    [
      'POST',
      '/api/v3/config-email-provider',
      SDK_HEADERS,
      {
        type: 'custom',
        enabled: true,
        smtpConfig: {
          smtp_host: 'smtp.example.com',
          smtp_port: 465,
          secure: true,
          sender: 'a@b.c',
        },
        list: [1, 'two', { three: 3 }],
        nothing: null,
        skipped: undefined,
        n: 1.5,
      },
    ],
    ['POST', '/x', SDK_HEADERS, ['first', { second: 2 }]],
    ['POST', '/x', SDK_HEADERS, { when: new Date('2025-01-01T00:00:00Z') }],
    ['DELETE', '/api/v3/ip-list/{id}', SDK_HEADERS, {}],
    ['PUT', '/x', { ...SDK_HEADERS, 'x-authing-app-id': 'tenant-1' }, { Z: 1, a: 2, _: 3 }],
    [
      'GET',
      '/x',
      { 'x-authing-lang': ' en-US\t', 'x-authing-n': 7, Date: 'ignored', other: 'no' },
      {},
    ],
    ['GET', '/x', { 'x-authing-multi': 'a\nb\r\nc\fd' }, {}],
  ];

  it.each(cases)(
    '%s %s matches the SDK byte for byte (case %#)',
    (method, uri, headers, fields) => {
      expect(stringToSign(method, uri, headers, fields)).toBe(
        sdk.buildStringToSign(method, uri, headers, fields),
      );
    },
  );

  it('signs like the SDK (base64 HMAC-SHA1)', () => {
    const toSign = sdk.buildStringToSign('GET', '/v1/api-keys', SDK_HEADERS, { a: 1 });
    expect(`authing mgk_0123456789abcdef:${signString('s3cret', toSign)}`).toBe(
      sdk.buildAuthorization('mgk_0123456789abcdef', 's3cret', toSign),
    );
  });

  it('keeps the SDK quirks: `path?` for all-undefined fields, null as "null", JSON for objects', () => {
    expect(canonicalResource('/p', {})).toBe('/p');
    expect(canonicalResource('/p', { a: undefined })).toBe('/p?');
    expect(canonicalResource('/p', { b: null, a: { x: [1] }, c: true })).toBe(
      '/p?a={"x":[1]}&b=null&c=true',
    );
  });
});

describe('queryFields', () => {
  it.each([
    ['', {}],
    ['a=1&b=x+y', { a: '1', b: 'x y' }],
    ['q=a%26b%3Dc&plus=1%2B1', { q: 'a&b=c', plus: '1+1' }],
    ['ids%5B%5D=a&ids%5B%5D=b', { ids: ['a', 'b'] }],
    ['ids[]=only', { ids: ['only'] }],
    ['k=a&k=b', { k: ['a', 'b'] }],
    ['u=%E9%82%AE%E4%BB%B6', { u: '邮件' }],
    ['flag', { flag: '' }],
  ])('%s', (raw, expected) => {
    expect({ ...queryFields(raw) }).toEqual(expected);
  });

  it('cannot be polluted through __proto__', () => {
    const fields = queryFields('__proto__=x&constructor=y');
    expect(Object.keys(fields).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('parseAuthingAuthorization', () => {
  it.each([
    ['mgk_0123456789abcdef:AbC+/9=', { keyId: 'mgk_0123456789abcdef', signature: 'AbC+/9=' }],
    ['  mgk_1:sig  ', { keyId: 'mgk_1', signature: 'sig' }],
    ['no-colon', undefined],
    [':sig', undefined],
    ['id:', undefined],
    ['id:sig extra', undefined],
  ])('%j', (input, expected) => {
    expect(parseAuthingAuthorization(input)).toEqual(expected);
  });
});

/**
 * The SDK's real client (ManagementClient.makeRequest → axios) against a bare HTTP server: what
 * the server receives must verify, for every shape of params and body the table lists.
 */
describe('requests sent by the SDK verify on the server', () => {
  const KEY_ID = 'mgk_00112233445566ff';
  const SECRET = 'unit-test-secret-0123456789abcdefghijklmnop';
  let server: Server;
  let baseUrl: string;
  let received: ReceivedRequest[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          // Like Fastify's JSON parser: no body → undefined.
          body: raw === '' ? undefined : JSON.parse(raw),
        });
        res.setHeader('content-type', 'application/json');
        res.end('{"statusCode":200}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    received = [];
  });

  async function send(config: Record<string, unknown>, options: { tenantId?: string } = {}) {
    const client = new ManagementClient({
      accessKeyId: KEY_ID,
      accessKeySecret: SECRET,
      host: baseUrl,
      ...options,
    });
    await client.makeRequest(config);
    expect(received).toHaveLength(1);
    const request = received[0];
    const authorization = String(request.headers.authorization);
    const parsed = parseAuthingAuthorization(authorization.replace(/^authing /, ''));
    expect(parsed?.keyId).toBe(KEY_ID);
    return { request, signature: parsed!.signature };
  }

  const table: Array<[string, Record<string, unknown>]> = [
    ['GET without params', { method: 'GET', url: '/v1/api-keys' }],
    ['GET with {} params', { method: 'GET', url: '/v1/api-keys', params: {} }],
    [
      'GET with scalar params',
      {
        method: 'GET',
        url: '/v1/emails',
        params: { status: 'sent', limit: 10, desc: true, off: false, cursor: 'a b+c&d=e/é' },
      },
    ],
    [
      'GET with undefined params mixed in',
      { method: 'GET', url: '/v1/emails', params: { a: undefined, b: 'x' } },
    ],
    [
      'GET whose params are all undefined',
      { method: 'GET', url: '/v1/emails', params: { a: undefined } },
    ],
    [
      'GET with string arrays',
      { method: 'GET', url: '/x', params: { userIds: ['u1', 'u 2'], one: ['z'] } },
    ],
    ['GET with a query inside url', { method: 'GET', url: '/x?b=2&a=1' }],
    ['GET passed in lower case', { method: 'get', url: '/v1/api-keys' }],
    ['GET with empty string param', { method: 'GET', url: '/x', params: { q: '' } }],
    ['POST without data', { method: 'POST', url: '/api/v3/verify-email-provider' }],
    ['POST with {}', { method: 'POST', url: '/api/v3/verify-email-provider', data: {} }],
    [
      'POST with nested data',
      {
        method: 'POST',
        url: '/api/v3/config-email-provider',
        data: {
          type: 'custom',
          enabled: true,
          smtpConfig: {
            smtp_host: 'smtp.example.com',
            smtp_port: 465,
            sender: 'a@b.c',
            senderPass: 'p&=?',
          },
          tags: ['a', 'b'],
          nothing: null,
          skipped: undefined,
          ratio: 0.1,
          big: 1e21,
          text: '邮件\n\t"quoted"',
        },
      },
    ],
    ['POST whose fields are all undefined', { method: 'POST', url: '/x', data: { a: undefined } }],
    ['POST with an array body', { method: 'POST', url: '/x', data: ['a', { b: 1 }] }],
    ['POST passed in lower case', { method: 'post', url: '/x', data: { a: 1 } }],
    [
      'PUT with data',
      { method: 'PUT', url: '/api/v3/approval-process', data: { id: 'x', ok: true } },
    ],
    [
      'DELETE with (unsigned) params',
      { method: 'DELETE', url: '/api/v3/batch-applications-auth', params: { authIds: ['1'] } },
    ],
    ['DELETE with a literal {id} in the url', { method: 'DELETE', url: '/api/v3/ip-list/{id}' }],
    ['DELETE of a key id', { method: 'DELETE', url: '/v1/api-keys/mgk_0123456789abcdef' }],
  ];

  it.each(table)('%s', async (_name, config) => {
    const { request, signature } = await send(config);
    expect(verifySignature(SECRET, signature, candidateStringsToSign(request))).toBe(true);
    expect(verifySignature('another-secret', signature, candidateStringsToSign(request))).toBe(
      false,
    );
  });

  it('covers x-authing-app-id, set by the tenantId option', async () => {
    const { request, signature } = await send(
      { method: 'GET', url: '/x' },
      { tenantId: 'tenant-a' },
    );
    expect(request.headers['x-authing-app-id']).toBe('tenant-a');
    expect(verifySignature(SECRET, signature, candidateStringsToSign(request))).toBe(true);
    const tampered = {
      ...request,
      headers: { ...request.headers, 'x-authing-app-id': 'tenant-b' },
    };
    expect(verifySignature(SECRET, signature, candidateStringsToSign(tampered))).toBe(false);
  });

  it.each([
    ['a changed query value', (r: ReceivedRequest) => ({ ...r, url: '/v1/emails?status=failed' })],
    ['a changed path', (r: ReceivedRequest) => ({ ...r, url: '/v1/api-keys?status=sent' })],
    [
      'a changed date',
      (r: ReceivedRequest) => ({
        ...r,
        headers: { ...r.headers, date: 'Thu, 01 Jan 2099 00:00:00 GMT' },
      }),
    ],
    [
      'a changed nonce',
      (r: ReceivedRequest) => ({
        ...r,
        headers: { ...r.headers, 'x-authing-signature-nonce': 'x' },
      }),
    ],
    [
      'an added x-authing header',
      (r: ReceivedRequest) => ({
        ...r,
        headers: { ...r.headers, 'x-authing-userpool-id': 'other' },
      }),
    ],
    ['another method', (r: ReceivedRequest) => ({ ...r, method: 'DELETE' })],
  ])('refuses a GET with %s', async (_name, tamper) => {
    const { request, signature } = await send({
      method: 'GET',
      url: '/v1/emails',
      params: { status: 'sent' },
    });
    expect(verifySignature(SECRET, signature, candidateStringsToSign(request))).toBe(true);
    expect(verifySignature(SECRET, signature, candidateStringsToSign(tamper(request)))).toBe(false);
  });

  it.each([
    ['a changed field', { type: 'custom', enabled: false }],
    ['an added field', { type: 'custom', enabled: true, extra: 1 }],
    ['a changed nested value', { type: 'custom', enabled: true, smtpConfig: { smtp_port: 25 } }],
  ])('refuses a POST with %s', async (_name, body) => {
    const { request, signature } = await send({
      method: 'POST',
      url: '/api/v3/config-email-provider',
      data: { type: 'custom', enabled: true, smtpConfig: { smtp_port: 465 } },
    });
    expect(verifySignature(SECRET, signature, candidateStringsToSign(request))).toBe(true);
    expect(verifySignature(SECRET, signature, candidateStringsToSign({ ...request, body }))).toBe(
      false,
    );
  });
});
