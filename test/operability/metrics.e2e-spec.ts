import { anEmail, createKey, newTenantId } from '../factories/emails';
import { freePort } from '../support/child-app';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { parseExposition, requireSample, sampleValue, type Exposition } from './prometheus-text';

async function scrape(baseUrl: string): Promise<Exposition> {
  const res = await http(baseUrl, 'GET', '/metrics');
  expect(res.status).toBe(200);
  return parseExposition(res.text);
}

/** Polls /metrics until `name{labels}` reaches `atLeast`; returns that scrape. */
function scrapeUntil(
  baseUrl: string,
  name: string,
  labels: Record<string, string>,
  atLeast: number,
): Promise<Exposition> {
  return waitFor(
    async () => {
      const exposition = await scrape(baseUrl);
      return sampleValue(exposition, name, labels) >= atLeast ? exposition : undefined;
    },
    { timeoutMs: 15_000, what: `${name}${JSON.stringify(labels)} >= ${atLeast}` },
  );
}

/** Labels a mailgate_* series may carry: closed sets, never a tenant or a message. */
const ALLOWED_LABELS = new Set([
  'route',
  'transport',
  'outcome',
  'error_class',
  'reason',
  'status',
  'le',
  // mailgate_email_events_total: one of EMAIL_EVENT_TYPES.
  'type',
  // mailgate_provider_circuits and _circuit_transitions_total: a provider type and a circuit state.
  'provider_type',
  'state',
]);

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { BUILTIN_MAILER_URL: 'capture://' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers without a key, in Prometheus text format, outside the envelope', async () => {
    const res = await http(t.baseUrl, 'GET', '/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.text).not.toMatch(/"requestId"/);
    const exposition = parseExposition(res.text);
    expect(exposition.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(exposition.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(exposition.types.get('mailgate_emails_sent_total')).toBe('counter');
    expect(exposition.types.get('mailgate_send_attempt_duration_seconds')).toBe('histogram');
    expect(exposition.types.get('mailgate_queue_messages')).toBe('gauge');
    expect(
      requireSample(exposition, 'mailgate_queue_messages', { status: 'queued' }),
    ).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(requireSample(exposition, 'mailgate_queue_oldest_age_seconds'))).toBe(
      true,
    );
    expect(Number.isFinite(requireSample(exposition, 'mailgate_queue_due_lag_seconds'))).toBe(true);
  });

  it('counts a message sent without a provider: accepted, a built-in fallback, sent by builtin', async () => {
    const before = await scrape(t.baseUrl);
    const key = await createKey(t, newTenantId(), ['email:send', 'email:read']);
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      headers: { prefer: 'wait=10' },
      body: anEmail(),
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'sent', transport: 'builtin' });

    const sent = { transport: 'builtin' };
    const after = await scrapeUntil(
      t.baseUrl,
      'mailgate_emails_sent_total',
      sent,
      sampleValue(before, 'mailgate_emails_sent_total', sent) + 1,
    );
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      sampleValue(after, name, labels) - sampleValue(before, name, labels);
    expect(delta('mailgate_emails_sent_total', sent)).toBe(1);
    expect(delta('mailgate_emails_accepted_total', { route: 'single' })).toBe(1);
    expect(delta('mailgate_builtin_fallbacks_total', { reason: 'no_provider' })).toBe(1);
    expect(delta('mailgate_send_attempts_total', { transport: 'builtin', outcome: 'sent' })).toBe(
      1,
    );
    expect(delta('mailgate_send_attempt_duration_seconds_count', sent)).toBe(1);
    expect(delta('mailgate_emails_failed_total')).toBe(0);
  });

  it('counts every message of a batch once, and not an idempotent replay', async () => {
    const before = await scrape(t.baseUrl);
    const key = await createKey(t, newTenantId(), ['email:send']);
    const batch = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: { messages: [anEmail(), anEmail(), { to: 'not-an-address' }] },
    });
    expect(batch.status).toBe(202);
    for (let i = 0; i < 2; i++) {
      const single = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: key.token,
        headers: { 'idempotency-key': 'metrics-replay' },
        body: anEmail(),
      });
      expect(single.status).toBe(i === 0 ? 202 : 200);
    }
    const after = await scrape(t.baseUrl);
    const accepted = (route: string): number =>
      sampleValue(after, 'mailgate_emails_accepted_total', { route }) -
      sampleValue(before, 'mailgate_emails_accepted_total', { route });
    expect(accepted('batch')).toBe(2);
    expect(accepted('single')).toBe(1);
  });

  it('labels series with closed sets only: no tenant, key or message ids', async () => {
    const tenant = newTenantId();
    const key = await createKey(t, tenant, ['email:send']);
    const res = await http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body: anEmail() });
    expect(res.status).toBe(202);
    const text = (await http(t.baseUrl, 'GET', '/metrics')).text;
    for (const secret of [tenant, key.id, res.body.data.id as string]) {
      expect(text).not.toContain(secret);
    }
    for (const sample of parseExposition(text).samples.filter((s) =>
      s.name.startsWith('mailgate_'),
    )) {
      for (const label of Object.keys(sample.labels)) {
        expect(ALLOWED_LABELS).toContain(label);
      }
    }
  });
});

describe('metrics of failures and of the queue', () => {
  it('counts retries by error class and the final failure by transport', async () => {
    const closed = await freePort();
    const t = await startTestApp({
      env: {
        BUILTIN_MAILER_URL: `smtp://127.0.0.1:${closed}`,
        DISPATCH_MAX_ATTEMPTS: '2',
        DISPATCH_RETRY_BASE_MS: '1',
      },
    });
    try {
      const key = await createKey(t, newTenantId(), ['email:send', 'email:read']);
      const res = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: key.token,
        body: anEmail(),
      });
      expect(res.status).toBe(202);
      const failed = { transport: 'builtin', error_class: 'transient' };
      const after = await scrapeUntil(t.baseUrl, 'mailgate_emails_failed_total', failed, 1);
      expect(sampleValue(after, 'mailgate_emails_failed_total', failed)).toBe(1);
      expect(sampleValue(after, 'mailgate_send_retries_total', { error_class: 'transient' })).toBe(
        1,
      );
      expect(
        sampleValue(after, 'mailgate_send_attempts_total', {
          transport: 'builtin',
          outcome: 'retry',
        }),
      ).toBe(1);
      expect(
        sampleValue(after, 'mailgate_send_attempts_total', {
          transport: 'builtin',
          outcome: 'failed',
        }),
      ).toBe(1);
      expect(sampleValue(after, 'mailgate_emails_sent_total', { transport: 'builtin' })).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('shows the backlog a replica without dispatcher leaves: depth and age of the oldest', async () => {
    // An api-only replica accepts but never sends, so what it accepts stays queued.
    const t = await startTestApp({ env: { MAILGATE_ROLE: 'api' } });
    try {
      const key = await createKey(t, newTenantId(), ['email:send']);
      const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages: [anEmail(), anEmail(), anEmail()] },
      });
      expect(res.status).toBe(202);
      const exposition = await scrape(t.baseUrl);
      expect(requireSample(exposition, 'mailgate_queue_messages', { status: 'queued' })).toBe(3);
      expect(requireSample(exposition, 'mailgate_queue_messages', { status: 'sending' })).toBe(0);
      // The messages are due at once and nothing claims them: both ages must rise above 0.
      const later = await waitFor(
        async () => {
          const e = await scrape(t.baseUrl);
          return requireSample(e, 'mailgate_queue_due_lag_seconds') > 0.2 ? e : undefined;
        },
        { timeoutMs: 10_000, what: 'due lag above 0.2 s with no worker' },
      );
      expect(requireSample(later, 'mailgate_queue_oldest_age_seconds')).toBeGreaterThan(0.2);
      // Counters are this instance's own: the other apps of this process do not leak in.
      expect(sampleValue(exposition, 'mailgate_emails_accepted_total', { route: 'batch' })).toBe(3);
    } finally {
      await t.close();
    }
  });
});
