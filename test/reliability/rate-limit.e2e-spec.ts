import { query } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import type { Answer } from './support/gateway';

/**
 * Abuse: a token bucket per API key (MAILGATE_RATE_LIMIT_RPS / _BURST) answers 429 with
 * Retry-After once a key's burst is spent, and failed authentications are throttled per client
 * and presented key id (MAILGATE_AUTH_FAILURE_RPS / _BURST), so guessing a secret is slowed.
 */
describe('reliability: rate limits', () => {
  let t: TestApp;
  let unlimited: TestApp;
  const BURST = 8;
  const FAILURES = 5;

  beforeAll(async () => {
    [t, unlimited] = await Promise.all([
      startTestApp({
        env: {
          MAILGATE_ROLE: 'api',
          MAILGATE_RATE_LIMIT_RPS: '2',
          MAILGATE_RATE_LIMIT_BURST: String(BURST),
          MAILGATE_AUTH_FAILURE_RPS: '1',
          MAILGATE_AUTH_FAILURE_BURST: String(FAILURES),
        },
      }),
      startTestApp({ env: { MAILGATE_ROLE: 'api', MAILGATE_RATE_LIMIT_RPS: '0' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([t?.close(), unlimited?.close()]);
  });

  function expect429(res: Answer, path: string): number {
    expect(res.status).toBe(path.startsWith('/api/v3/') ? 200 : 429);
    expect(res.body).toMatchObject({ statusCode: 429, apiCode: 42900, data: expect.anything() });
    expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
    const retryAfter = res.headers.get('retry-after');
    expect(retryAfter).toMatch(/^[1-9]\d*$/);
    expect(res.body.data.retryAfterSeconds).toBe(Number(retryAfter));
    return Number(retryAfter);
  }

  /** Spends a key's burst on cheap reads; returns the first refused answer and how many passed. */
  async function exhaust(key: TestKey): Promise<{ refused: Answer; allowed: number }> {
    for (let i = 0; i < BURST * 3; i += 1) {
      const res = await http(t.baseUrl, 'GET', '/v1/emails?limit=1', { token: key.token });
      if (res.status === 429) {
        return { refused: res, allowed: i };
      }
      expect(res.status).toBe(200);
    }
    throw new Error(`no 429 after ${BURST * 3} requests`);
  }

  it('refuses a key past its burst with 429 and Retry-After, and only that key', async () => {
    const [key, other] = await Promise.all([
      createKey(t, newTenantId()),
      createKey(t, newTenantId()),
    ]);
    const started = Date.now();
    const { refused, allowed } = await exhaust(key);
    // The burst, plus what refilled (2/s) while the requests ran.
    const refilled = Math.floor(((Date.now() - started) / 1000) * 2);
    expect(allowed).toBeGreaterThanOrEqual(BURST);
    expect(allowed).toBeLessThanOrEqual(BURST + refilled);
    expect(refused.body.data).toMatchObject({ limitPerSecond: 2, burst: BURST });
    const retryAfter = expect429(refused, '/v1/emails');

    // GenAuth routes answer HTTP 200 with statusCode 429, and the same header.
    expect429(
      await http(t.baseUrl, 'GET', '/api/v3/get-email-provider', { token: key.token }),
      '/api/v3/get-email-provider',
    );
    // A refused send stores nothing.
    const before = await query<{ n: number }>(
      t.db.url,
      'SELECT count(*)::int AS n FROM email_messages',
    );
    expect429(
      await http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body: anEmail() }),
      '/v1/emails',
    );
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM email_messages')).toEqual(before);

    // Other keys and public routes are not affected.
    expect((await http(t.baseUrl, 'GET', '/v1/emails', { token: other.token })).status).toBe(200);
    expect((await http(t.baseUrl, 'GET', '/health/live')).status).toBe(200);

    // Once Retry-After has passed, the key works again.
    await waitFor(
      async () => (await http(t.baseUrl, 'GET', '/v1/emails', { token: key.token })).status === 200,
      {
        timeoutMs: retryAfter * 1000 + 3_000,
        intervalMs: 250,
        what: 'the key to be allowed again',
      },
    );
  });

  it('throttles failed authentications per client and key id; others keep working', async () => {
    const [victim, bystander] = await Promise.all([
      createKey(t, newTenantId()),
      createKey(t, newTenantId()),
    ]);
    const guess = (secret: string) =>
      http(t.baseUrl, 'GET', '/v1/emails', {
        headers: { authorization: `Bearer ${victim.id}.${secret}` },
      });
    for (let i = 0; i < FAILURES; i += 1) {
      expect((await guess(`wrong-${i}`)).status).toBe(401);
    }
    expect429(await guess('wrong-again'), '/v1/emails');
    // Guessing right does not get through while throttled.
    expect429(await guess(victim.secret), '/v1/emails');
    // Another key from the same address is not held back, nor is the victim's own bucket spent.
    expect((await http(t.baseUrl, 'GET', '/v1/emails', { token: bystander.token })).status).toBe(
      200,
    );

    // Requests without any key are throttled too (per address).
    const anonymous: number[] = [];
    for (let i = 0; i < FAILURES + 1; i += 1) {
      const res = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', { body: {} });
      anonymous.push(res.body.statusCode as number);
    }
    expect(anonymous).toEqual([...Array<number>(FAILURES).fill(401), 429]);
  });

  it('is off with MAILGATE_RATE_LIMIT_RPS=0', async () => {
    const key = await createKey(unlimited, newTenantId());
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () =>
        http(unlimited.baseUrl, 'GET', '/v1/emails?limit=1', { token: key.token }).then(
          (r) => r.status,
        ),
      ),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
  });
});
