import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { Client } from 'pg';
import { bodyLimitFor } from '../../../src/app.factory';
import { startTestApp, type TestApp } from '../../support/test-app';
import { anEmail, createKey, newTenantId, type TestKey } from '../../factories/emails';
import {
  contentType,
  fromValue,
  hostileJson,
  hostileString,
  mutationsOf,
  serialize,
  setPath,
  type Json,
} from './hostile-json';

const MAX_MESSAGE_BYTES = 64 * 1024;

/** A message using every field, so mutations reach every validator. */
function fullEmail(): Record<string, unknown> {
  return anEmail({
    from: { name: 'Sender', email: 'sender@example.test' },
    replyTo: 'reply@example.test',
    cc: ['cc@example.test'],
    bcc: [{ email: 'bcc@example.test' }],
    attachments: [
      { filename: 'a.txt', content: 'aGVsbG8=', contentType: 'text/plain', cid: 'a@example.test' },
    ],
    headers: { 'X-Custom': 'v', 'List-Unsubscribe': '<mailto:u@example.test>' },
    tags: ['otp'],
    metadata: { user: 'u1', n: 1, ok: true },
  });
}

const EMAIL_PATHS = [
  'to',
  'to.0',
  'to.0.email',
  'to.0.name',
  'to.1',
  'cc',
  'cc.0',
  'bcc',
  'bcc.0.email',
  'from',
  'from.name',
  'from.email',
  'replyTo',
  'subject',
  'text',
  'html',
  'attachments',
  'attachments.0',
  'attachments.0.filename',
  'attachments.0.content',
  'attachments.0.contentType',
  'attachments.0.cid',
  'headers',
  'headers.X-Custom',
  'headers.Subject',
  'tags',
  'tags.0',
  'metadata',
  'metadata.user',
  'unknownField',
] as const;

const CONFIG_BASES: Array<Record<string, unknown>> = [
  {
    type: 'custom',
    enabled: true,
    smtpConfig: {
      smtp_host: 'smtp.example.test',
      smtp_port: 465,
      sender: 'mailer@example.test',
      senderPass: 'fuzz-pass',
      secure: true,
    },
  },
  {
    type: 'sendgrid',
    enabled: true,
    sendGridConfig: { sender: 'noreply@example.test', apikey: 'SG.fuzz-key' },
  },
  {
    type: 'ali',
    enabled: true,
    aliExmailConfig: { sender: 'a@example.test', senderPass: 'fuzz-ali-pass' },
  },
  {
    type: 'qq',
    enabled: false,
    tencentExmailConfig: { sender: 'q@example.test', senderPass: 'fuzz-qq-pass' },
  },
];

const CONFIG_PATHS = [
  'type',
  'enabled',
  'fallbackOnFailure',
  'version',
  'smtpConfig',
  'smtpConfig.smtp_host',
  'smtpConfig.smtp_port',
  'smtpConfig.sender',
  'smtpConfig.senderPass',
  'smtpConfig.secure',
  'sendGridConfig',
  'sendGridConfig.sender',
  'sendGridConfig.apikey',
  'aliExmailConfig',
  'aliExmailConfig.sender',
  'tencentExmailConfig.senderPass',
  'unknownField',
] as const;

interface Answer {
  status: number;
  headers: Headers;
  body: {
    statusCode: number;
    message: string;
    apiCode?: number;
    requestId: string;
    data: unknown;
  };
}

/**
 * Hostile input, generated: random shapes, types, unicode, huge strings, deep nesting and
 * prototype keys at every route that takes a body. The gateway must answer every one with the
 * envelope and a status below 500, and store nothing for what it refuses.
 * `runs` cases per body route (a third of that for URLs); the soak runs many more.
 */
export function describeHostileInput(runs: number): void {
  describe(`reliability: hostile input (${runs} cases per route)`, () => {
    let t: TestApp;
    let emailKey: TestKey;
    let configKey: TestKey;
    let configTenant: string;
    let pg: Client;
    const ran = new Map<string, number>();
    /** statusCode answered, per route: the fuzz must reach past authentication, into validation. */
    const outcomes = new Map<string, Map<number, number>>();

    beforeAll(async () => {
      t = await startTestApp({
        env: {
          // Accept only: nothing fuzzed is ever sent anywhere.
          MAILGATE_ROLE: 'api',
          MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
          // Wrongly signed fuzz requests are expected to fail authentication; keep them coming.
          MAILGATE_AUTH_FAILURE_RPS: '0',
        },
      });
      configTenant = newTenantId();
      [emailKey, configKey] = await Promise.all([
        createKey(t, newTenantId()),
        createKey(t, configTenant, ['provider:write', 'provider:read']),
      ]);
      pg = new Client({ connectionString: t.db.url });
      await pg.connect();
    });
    afterAll(async () => {
      await pg?.end();
      await t?.close();
      console.log(
        `hostile input, cases run: ${[...ran].map(([route, n]) => `${route} ${n}`).join(', ')}`,
      );
    });

    async function queued(): Promise<number> {
      const { rows } = await pg.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM email_messages',
      );
      return rows[0].n;
    }

    async function configState(): Promise<string> {
      const { rows } = await pg.query<{ s: string | null }>(
        `SELECT (SELECT version || ':' || md5(config::text) FROM email_provider_configs WHERE tenant_id = $1)
              || '/' || (SELECT count(*) FROM provider_config_audit) AS s`,
        [configTenant],
      );
      return rows[0].s ?? 'none';
    }

    async function post(
      path: string,
      body: string,
      headers: Record<string, string>,
    ): Promise<Answer & { text: string }> {
      const res = await fetch(`${t.baseUrl}${path}`, { method: 'POST', headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(
          `${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`,
        );
      }
      return { status: res.status, headers: res.headers, body: parsed as Answer['body'], text };
    }

    /** The envelope, statusCode below 500, and HTTP status as the route family demands. */
    function expectEnvelope(path: string, res: Answer): void {
      const { body } = res;
      if (typeof body?.statusCode === 'number' && body.statusCode >= 500) {
        // Name the cause, so a failing case says what broke (the log line has the stack).
        const line = t.logs.find((l) => l.includes(body.requestId) && l.includes('"err"'));
        const err =
          line === undefined
            ? undefined
            : (JSON.parse(line) as { err?: { message?: string; stack?: string } }).err;
        throw new Error(
          `${path} answered ${body.statusCode}: ${err?.message ?? 'no log line'}\n${(err?.stack ?? '').split('\n').slice(1, 6).join('\n')}`,
        );
      }
      expect(body).toEqual(
        expect.objectContaining({
          statusCode: expect.any(Number),
          message: expect.any(String),
          requestId: res.headers.get('x-request-id'),
        }),
      );
      expect(body).toHaveProperty('data');
      expect(body.statusCode).toBeLessThan(500);
      expect(res.status).toBe(path.startsWith('/api/v3/') ? 200 : body.statusCode);
      if (body.statusCode >= 400) {
        expect(Math.floor((body.apiCode ?? 0) / 100)).toBe(body.statusCode);
      }
    }

    function count(route: string): void {
      ran.set(route, (ran.get(route) ?? 0) + 1);
    }

    function tally(route: string, statusCode: number): void {
      const byCode = outcomes.get(route) ?? new Map<number, number>();
      byCode.set(statusCode, (byCode.get(statusCode) ?? 0) + 1);
      outcomes.set(route, byCode);
    }

    /**
     * A fuzz that only ever hit the 401 (or 415) path would pass green while testing nothing:
     * at least a third of the cases must reach validation (400) or be accepted.
     */
    function expectSpread(route: string, accepted: number[]): void {
      const byCode = outcomes.get(route) ?? new Map<number, number>();
      const total = [...byCode.values()].reduce((a, b) => a + b, 0);
      const at = (code: number): number => byCode.get(code) ?? 0;
      const reached = at(400) + accepted.reduce((n, code) => n + at(code), 0);
      expect({ route, total, reached: reached >= total / 3 }).toEqual({
        route,
        total,
        reached: true,
      });
      expect(at(400)).toBeGreaterThan(0);
      expect(accepted.some((code) => at(code) > 0)).toBe(true);
    }

    /** Every secret the config fuzz may save: none may ever be read back. */
    const FUZZ_SECRETS = /fuzz-pass|SG\.fuzz-key|fuzz-ali-pass|fuzz-qq-pass/;

    /** Some requests carry a (wrong) GenAuth signature, so the signature code reads the body too. */
    const auth = fc.oneof(
      { weight: 5, arbitrary: fc.constant('bearer') },
      { weight: 1, arbitrary: fc.constant('signed') },
    );
    function headersFor(key: TestKey, how: string, type: string): Record<string, string> {
      return {
        'content-type': type,
        authorization:
          how === 'bearer'
            ? `Bearer ${key.token}`
            : `authing ${key.id}:${Buffer.from('not the signature').toString('base64')}`,
        date: new Date().toUTCString(),
        'x-authing-signature-nonce': Math.random().toString(36).slice(2),
      };
    }

    const emailDocument = fc.oneof(
      { weight: 4, arbitrary: mutationsOf(fullEmail(), EMAIL_PATHS) },
      { weight: 1, arbitrary: hostileJson },
    );

    it(`POST /v1/emails: ${runs} generated bodies, never a 5xx, nothing stored when refused`, async () => {
      const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
      await fc.assert(
        fc.asyncProperty(emailDocument, auth, contentType, async (doc, how, type) => {
          count('POST /v1/emails');
          const before = await queued();
          const res = await post('/v1/emails', serialize(doc), headersFor(emailKey, how, type));
          expectEnvelope('/v1/emails', res);
          tally('/v1/emails', res.body.statusCode);
          const after = await queued();
          expect(after - before).toBe(res.status === 202 ? 1 : 0);
        }),
        { numRuns: runs },
      );
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
      expectSpread('/v1/emails', [202]);
    });

    it(`POST /v1/emails/batch: ${runs} generated bodies, stored count = accepted count`, async () => {
      const batchDocument = fc.oneof(
        {
          weight: 4,
          arbitrary: fc.array(emailDocument, { minLength: 1, maxLength: 4 }).map((items): Json => ({
            kind: 'object',
            entries: [['messages', { kind: 'array', items }]],
          })),
        },
        {
          weight: 1,
          arbitrary: mutationsOf({ messages: [fullEmail(), fullEmail()] }, [
            'messages',
            'messages.0',
            'messages.1.to',
            'messages.2',
            'extra',
          ]),
        },
        { weight: 1, arbitrary: hostileJson },
      );
      await fc.assert(
        fc.asyncProperty(batchDocument, auth, contentType, async (doc, how, type) => {
          count('POST /v1/emails/batch');
          const before = await queued();
          const res = await post(
            '/v1/emails/batch',
            serialize(doc),
            headersFor(emailKey, how, type),
          );
          expectEnvelope('/v1/emails/batch', res);
          tally('/v1/emails/batch', res.body.statusCode);
          const after = await queued();
          const accepted =
            res.status === 202 ? (res.body.data as { accepted: number }).accepted : 0;
          expect(after - before).toBe(accepted);
        }),
        { numRuns: runs },
      );
      expectSpread('/v1/emails/batch', [202]);
    });

    it(`POST /api/v3/config-email-provider: ${runs} generated bodies, config untouched when refused`, async () => {
      const configDocument = fc.oneof(
        {
          weight: 4,
          arbitrary: fc
            .constantFrom(...CONFIG_BASES)
            .chain((base) => mutationsOf(base, CONFIG_PATHS)),
        },
        { weight: 1, arbitrary: hostileJson },
      );
      await fc.assert(
        fc.asyncProperty(configDocument, auth, contentType, async (doc, how, type) => {
          count('POST /api/v3/config-email-provider');
          const before = await configState();
          const res = await post(
            '/api/v3/config-email-provider',
            serialize(doc),
            headersFor(configKey, how, type),
          );
          expectEnvelope('/api/v3/config-email-provider', res);
          tally('/api/v3/config-email-provider', res.body.statusCode);
          if (res.body.statusCode !== 200) {
            expect(await configState()).toBe(before);
          }
          // Whatever was saved, the answer never shows a secret...
          expect(res.text).not.toMatch(FUZZ_SECRETS);
        }),
        { numRuns: runs },
      );
      expectSpread('/api/v3/config-email-provider', [200]);
      // ...nor does any later read of what was saved, or of its history.
      for (const path of ['/api/v3/get-email-provider', '/api/v3/email-provider-history']) {
        const read = await fetch(`${t.baseUrl}${path}`, {
          headers: { authorization: `Bearer ${configKey.token}` },
        });
        const text = await read.text();
        expect(JSON.parse(text)).toMatchObject({ statusCode: 200 });
        expect(text).not.toMatch(FUZZ_SECRETS);
      }
    });

    it(`query strings and path ids: ${Math.ceil(runs / 3)} generated, never a 5xx`, async () => {
      /** Percent-encodes every byte: invalid UTF-8 (lone surrogates, %FF) reaches the server as is. */
      const pct = (bytes: Uint8Array): string =>
        [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      const part = fc.oneof(
        hostileString.map((v) => pct(Buffer.from(v, 'utf8'))),
        fc.uint8Array({ maxLength: 40 }).map(pct),
        fc.constantFrom(
          '%',
          '%F',
          '%FF%FE',
          '%C0%AE%C0%AE',
          '..%2F..%2F',
          '%00',
          '%E2%80%AE',
          'x'.repeat(150),
        ),
      );
      const target = fc.oneof(
        fc
          .tuple(fc.constantFrom('status', 'cursor', 'limit', '__proto__', 'x'), part, part)
          .map(([k, v, w]) => `/v1/emails?${k}=${v}&cursor=${w}`),
        part.map((id) => `/v1/emails/${id}`),
        part.map((id) => `POST /v1/emails/${id}/retry`),
        fc
          .tuple(fc.constantFrom('limit', 'cursor', 'constructor'), part)
          .map(([k, v]) => `/api/v3/email-provider-history?${k}=${v}`),
        part.map((v) => `DELETE /v1/api-keys/${v}`),
        part.map((v) => `GET /api/v3/${v}`),
      );
      await fc.assert(
        fc.asyncProperty(target, async (target) => {
          count('query strings and path ids');
          const [method, path] = target.includes(' ') ? target.split(' ') : ['GET', target];
          const res = await fetch(`${t.baseUrl}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${path.startsWith('/api/') ? configKey.token : emailKey.token}`,
            },
          });
          const body = (await res.json()) as Answer['body'];
          expectEnvelope(path, { status: res.status, headers: res.headers, body });
        }),
        { numRuns: Math.ceil(runs / 3) },
      );
    });

    describe('CR, LF and NUL in any header-bound field are refused', () => {
      const EMAIL_HEADER_FIELDS: Array<{ path: string; value: string }> = [
        { path: 'subject', value: 'Your code' },
        { path: 'to.0.name', value: 'Ada Lovelace' },
        { path: 'to.0.email', value: 'ada@example.test' },
        { path: 'cc.0', value: 'cc@example.test' },
        { path: 'bcc.0.email', value: 'bcc@example.test' },
        { path: 'from.name', value: 'Sender' },
        { path: 'from.email', value: 'sender@example.test' },
        { path: 'replyTo', value: 'reply@example.test' },
        { path: 'attachments.0.filename', value: 'a.txt' },
        { path: 'attachments.0.contentType', value: 'text/plain' },
        { path: 'attachments.0.cid', value: 'a@example.test' },
        { path: 'headers.X-Custom', value: 'v' },
        { path: 'headers.List-Unsubscribe', value: '<mailto:u@example.test>' },
      ];
      const breakChar = fc.constantFrom(
        '\r',
        '\n',
        '\r\n',
        '\u0000',
        '\r\nBcc: victim@example.test\r\n',
      );

      /** `value` with `insert` placed at a generated position. */
      const injected = (value: string) =>
        fc
          .tuple(fc.nat({ max: value.length }), breakChar)
          .map(([at, insert]) => value.slice(0, at) + insert + value.slice(at));

      it('in every field of /v1/emails and /v1/emails/batch (400 naming the field, nothing stored)', async () => {
        const field = fc
          .constantFrom(...EMAIL_HEADER_FIELDS)
          .chain((f) => injected(f.value).map((bad) => ({ ...f, bad })));
        await fc.assert(
          fc.asyncProperty(field, fc.boolean(), async ({ path, bad }, batch) => {
            count('header injection (emails)');
            const doc = setPath(fromValue(fullEmail()), path.split('.'), {
              kind: 'string',
              value: bad,
            });
            const before = await queued();
            const res = batch
              ? await post(
                  '/v1/emails/batch',
                  serialize({
                    kind: 'object',
                    entries: [['messages', { kind: 'array', items: [doc] }]],
                  }),
                  headersFor(emailKey, 'bearer', 'application/json'),
                )
              : await post(
                  '/v1/emails',
                  serialize(doc),
                  headersFor(emailKey, 'bearer', 'application/json'),
                );
            expectEnvelope('/v1/emails', res);
            expect(res.status).toBe(400);
            expect(res.body.apiCode).toBe(40000);
            const fields = (res.body.data as { errors: Array<{ field: string }> }).errors.map(
              (e) => e.field,
            );
            const expected = batch ? `messages.0.${path}` : path;
            expect(
              fields.some(
                (f) =>
                  f === expected || expected.startsWith(`${f}.`) || f.startsWith(`${expected}`),
              ),
            ).toBe(true);
            expect(await queued()).toBe(before);
          }),
          { numRuns: 120 },
        );
      });

      it('in a custom header name', async () => {
        const res = await post(
          '/v1/emails',
          JSON.stringify(anEmail({ headers: { 'X-Evil\r\nBcc: victim@example.test': 'v' } })),
          headersFor(emailKey, 'bearer', 'application/json'),
        );
        expect(res.status).toBe(400);
        expect(res.text).toContain('is not a valid header name');
      });

      it('in the sender and host of every provider config block (statusCode 400, nothing saved)', async () => {
        const fields = [
          { base: 0, path: 'smtpConfig.sender', value: 'mailer@example.test' },
          { base: 0, path: 'smtpConfig.smtp_host', value: 'smtp.example.test' },
          { base: 1, path: 'sendGridConfig.sender', value: 'noreply@example.test' },
          { base: 2, path: 'aliExmailConfig.sender', value: 'a@example.test' },
          { base: 3, path: 'tencentExmailConfig.sender', value: 'q@example.test' },
        ];
        const field = fc
          .constantFrom(...fields)
          .chain((f) => injected(f.value).map((bad) => ({ ...f, bad })));
        await fc.assert(
          fc.asyncProperty(field, async ({ base, path, bad }) => {
            count('header injection (config)');
            const before = await configState();
            const doc = setPath(fromValue(CONFIG_BASES[base]), path.split('.'), {
              kind: 'string',
              value: bad,
            });
            const res = await post(
              '/api/v3/config-email-provider',
              serialize(doc),
              headersFor(configKey, 'bearer', 'application/json'),
            );
            expectEnvelope('/api/v3/config-email-provider', res);
            expect(res.body.statusCode).toBe(400);
            expect(res.body.message).toContain(path);
            expect(await configState()).toBe(before);
          }),
          { numRuns: 40 },
        );
      });
    });

    describe('oversize bodies are refused with 413 before being read whole', () => {
      const limit = bodyLimitFor(MAX_MESSAGE_BYTES);

      /**
       * Streams `total` bytes of a JSON string body in 64 KiB chunks, stopping as soon as the
       * answer arrives. `declare`: send Content-Length: total; otherwise chunked.
       */
      function stream(
        path: string,
        total: number,
        declare: boolean,
      ): Promise<{
        status: number;
        body: Answer['body'];
        headers: Record<string, string | string[] | undefined>;
        sentBytes: number;
      }> {
        const url = new URL(`${t.baseUrl}${path}`);
        return new Promise((resolve, reject) => {
          let sent = 0;
          let answered = false;
          const req = httpRequest(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${path.startsWith('/api/') ? configKey.token : emailKey.token}`,
                ...(declare
                  ? { 'content-length': String(total) }
                  : { 'transfer-encoding': 'chunked' }),
              },
            },
            (res) => {
              answered = true;
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                req.destroy();
                try {
                  resolve({
                    status: res.statusCode ?? 0,
                    headers: res.headers,
                    body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Answer['body'],
                    sentBytes: sent,
                  });
                } catch (error) {
                  reject(error instanceof Error ? error : new Error(String(error)));
                }
              });
            },
          );
          req.on('error', (error) => {
            if (!answered) {
              reject(error);
            }
          });
          const chunk = Buffer.alloc(64 * 1024, 'a');
          // Paced like a slow client, so "answered before the end" means the server did not wait.
          const pump = async (): Promise<void> => {
            while (!answered && sent < total) {
              const piece =
                sent === 0 ? Buffer.concat([Buffer.from('{"text":"'), chunk.subarray(9)]) : chunk;
              sent += piece.length;
              if (!req.write(piece)) {
                await new Promise((r) => req.once('drain', r));
              }
              await new Promise((r) => setTimeout(r, 2));
            }
            // Never finished on purpose: the server must answer without the rest.
          };
          void pump();
        });
      }

      it.each([
        ['/v1/emails', true],
        ['/v1/emails', false],
        ['/v1/emails/batch', false],
        ['/api/v3/config-email-provider', true],
        ['/api/v3/config-email-provider', false],
      ])('%s (Content-Length declared: %p)', async (path, declare) => {
        count('oversize bodies');
        const total = limit * 20;
        const before = await queued();
        const res = await stream(path, total, declare);
        expect(res.body).toMatchObject({ statusCode: 413, apiCode: 41300 });
        expect(res.body.requestId).toBe(res.headers['x-request-id']);
        expect(res.status).toBe(path.startsWith('/api/') ? 200 : 413);
        // Answered long before the body was all there (declared: after the first chunks at most).
        expect(res.sentBytes).toBeLessThan(declare ? limit / 2 : limit * 3);
        expect(await queued()).toBe(before);
      });
    });
  });
}
