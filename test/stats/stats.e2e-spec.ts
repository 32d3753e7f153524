import { query } from '../support/database';
import { http, startTestApp, TEST_ROOT_KEY, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, rootHeaders, type TestKey } from '../factories/emails';

interface Bucket {
  at: string;
  sent: number;
  deferred: number;
  failed: number;
  bounced: number;
}

const MINUTE = 60_000;

describe('GET /v1/stats (the console overview figures)', () => {
  let t: TestApp;
  let tenant: string;
  let key: TestKey;
  let ids: string[];

  beforeAll(async () => {
    // Accept only: the rows stay where the seed puts them.
    t = await startTestApp({ env: { MAILGATE_ROLE: 'api' } });
    tenant = newTenantId();
    key = await createKey(t, tenant);
    const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: { messages: Array.from({ length: 8 }, () => anEmail()) },
    });
    expect(res.status).toBe(202);
    ids = (res.body.data.results as Array<{ id: string }>).map((r) => r.id);
    // A history: 5 sent (3 min ago: 3, 10 min ago: 2), one deferred then failed, one bounced; one
    // still queued for 90 s. Sends took 200..600 ms. Another tenant's events must not count.
    const now = Date.now();
    const ago = (ms: number): Date => new Date(now - ms);
    const sent = [
      [ids[0], 3 * MINUTE, 200],
      [ids[1], 3 * MINUTE, 300],
      [ids[2], 3 * MINUTE, 400],
      [ids[3], 10 * MINUTE, 500],
      [ids[4], 10 * MINUTE, 600],
    ] as const;
    for (const [id, when, tookMs] of sent) {
      await query(
        t.db.url,
        `UPDATE email_messages SET status = 'sent', created_at = $2, sent_at = $3 WHERE id = $1`,
        [id, ago(when + tookMs), ago(when)],
      );
    }
    await query(
      t.db.url,
      `UPDATE email_messages SET status = 'failed' WHERE id = ANY($1::uuid[])`,
      [[ids[5], ids[6]]],
    );
    await query(t.db.url, `UPDATE email_messages SET created_at = $2 WHERE id = $1`, [
      ids[7],
      ago(90_000),
    ]);
    const events: Array<[string, string, number, Record<string, unknown> | null]> = [
      ...sent.map(([id, when]): [string, string, number, null] => [id, 'sent', when, null]),
      [ids[5], 'deferred', 20 * MINUTE, { errorClass: 'transient', code: 'ETIMEDOUT' }],
      [ids[5], 'failed', 5 * MINUTE, { errorClass: 'transient', code: 'ETIMEDOUT' }],
      [ids[6], 'bounced', 5 * MINUTE, { bounceType: 'hard', smtpCode: 550 }],
      // Older than the hour: only the 24 h window sees it.
      [ids[6], 'deferred', 3 * 60 * MINUTE, { errorClass: 'rate_limited', code: 'SMTP_451' }],
    ];
    for (const [id, type, when, data] of events) {
      await query(
        t.db.url,
        `INSERT INTO email_events (tenant_id, message_id, type, occurred_at, created_at, source, data)
         VALUES ($1, $2, $3, $4, $4, 'mailgate', $5)`,
        [tenant, id, type, ago(when), data],
      );
    }
    const other = newTenantId();
    const otherKey = await createKey(t, other);
    const otherRes = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: otherKey.token,
      body: anEmail(),
    });
    await query(
      t.db.url,
      `INSERT INTO email_events (tenant_id, message_id, type, source) VALUES ($1, $2, 'sent', 'mailgate')`,
      [other, otherRes.body.data.id],
    );
  });
  afterAll(async () => {
    await t.close();
  });

  const stats = (qs = '', token = key.token) => http(t.baseUrl, 'GET', `/v1/stats${qs}`, { token });

  it('1h: per-minute outcomes, queue, latency and top errors of this tenant only', async () => {
    const res = await stats();
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data).toMatchObject({ window: '1h', bucketSeconds: 60, provider: null });
    const series = data.series as Bucket[];
    expect(series).toHaveLength(60);
    // Consecutive whole minutes, the last one holding now.
    for (let i = 1; i < series.length; i++) {
      expect(Date.parse(series[i].at) - Date.parse(series[i - 1].at)).toBe(MINUTE);
    }
    expect(Date.parse(series[59].at)).toBeLessThanOrEqual(Date.now());
    expect(data.totals).toEqual({ sent: 5, deferred: 1, failed: 1, bounced: 1 });
    const sentBuckets = series.filter((b) => b.sent > 0).map((b) => b.sent);
    expect(sentBuckets.sort()).toEqual([2, 3]);
    expect(data.queue).toEqual({
      queued: 1,
      sending: 0,
      oldestQueuedAgeSeconds: expect.any(Number),
    });
    expect(data.queue.oldestQueuedAgeSeconds).toBeGreaterThanOrEqual(89);
    expect(data.latency).toEqual({ p50Ms: 400, p95Ms: 580, samples: 5 });
    expect(data.topErrors).toEqual([
      { code: 'ETIMEDOUT', errorClass: 'transient', count: 2, exampleMessageId: ids[5] },
      { code: 'SMTP_550', errorClass: null, count: 1, exampleMessageId: ids[6] },
    ]);
    // Minutes that ended over 2 min ago were rolled up (once), and a second read agrees.
    const rolled = await query<{ minutes: number; sent: number }>(
      t.db.url,
      'SELECT count(*)::int AS minutes, sum(sent)::int AS sent FROM stats_minutely WHERE tenant_id = $1',
      [tenant],
    );
    expect(rolled[0].minutes).toBeGreaterThanOrEqual(55);
    expect(rolled[0].sent).toBe(5);
    const again = await stats();
    expect(again.body.data.totals).toEqual(data.totals);
    expect(again.body.data.series).toEqual(series);
  });

  it('24h: 24 hourly buckets (complete hours rolled up once, the recent ones live)', async () => {
    for (let round = 0; round < 2; round++) {
      const res = await stats('?window=24h');
      expect(res.status).toBe(200);
      const data = res.body.data;
      expect(data).toMatchObject({ window: '24h', bucketSeconds: 3600 });
      expect(data.series).toHaveLength(24);
      expect(data.totals).toEqual({ sent: 5, deferred: 2, failed: 1, bounced: 1 });
    }
    const rolled = await query<{ n: number }>(
      t.db.url,
      'SELECT count(*)::int AS n FROM stats_hourly WHERE tenant_id = $1',
      [tenant],
    );
    expect(rolled[0].n).toBeGreaterThanOrEqual(22);
  });

  it('names a bad window or an unknown parameter; needs email:read', async () => {
    const res = await stats('?window=7d&x=1');
    expect(res.status).toBe(400);
    const fields = (res.body.data.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['window', 'x']);
    const sendOnly = await createKey(t, tenant, ['email:send']);
    expect((await stats('', sendOnly.token)).status).toBe(403);
    expect((await http(t.baseUrl, 'GET', '/v1/stats')).status).toBe(401);
  });

  it('a tenant with no traffic gets zeros, not an error', async () => {
    const quiet = await createKey(t, newTenantId());
    const res = await stats('', quiet.token);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      totals: { sent: 0, deferred: 0, failed: 0, bounced: 0 },
      queue: { queued: 0, sending: 0, oldestQueuedAgeSeconds: null },
      latency: { p50Ms: null, p95Ms: null, samples: 0 },
      topErrors: [],
      provider: null,
    });
  });

  it('root sees every tenant, trouble first; an API key may not', async () => {
    const res = await http(t.baseUrl, 'GET', '/v1/stats/tenants', {
      headers: rootHeaders(tenant),
      token: TEST_ROOT_KEY,
    });
    expect(res.status).toBe(200);
    const rows = res.body.data as Array<{ tenantId: string; failedLastHour: number }>;
    expect(rows[0]).toMatchObject({
      tenantId: tenant,
      queued: 1,
      sentLastHour: 5,
      failedLastHour: 1,
      bouncedLastHour: 1,
    });
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect((await http(t.baseUrl, 'GET', '/v1/stats/tenants', { token: key.token })).status).toBe(
      403,
    );
  });
});
