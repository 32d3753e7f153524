import type { MetricValue } from 'prom-client';
import { createLogger } from '../common/logger';
import { QUEUE_STATS_TTL_MS } from './metrics.constants';
import { MetricsService } from './metrics.service';
import type { QueueStats, QueueStatsRepository } from './queue-stats.repository';

class FakeQueueStats {
  reads = 0;
  next: QueueStats | Error = {
    queued: 3,
    sending: 1,
    oldestQueuedAgeSeconds: 42.5,
    dueLagSeconds: 1.25,
    circuits: [
      { providerType: 'custom', state: 'open', count: 2 },
      { providerType: 'custom', state: 'closed', count: 5 },
    ],
  };

  async read(): Promise<QueueStats> {
    this.reads += 1;
    if (this.next instanceof Error) {
      throw this.next;
    }
    return this.next;
  }
}

function make(queue = new FakeQueueStats()): { metrics: MetricsService; queue: FakeQueueStats } {
  const metrics = new MetricsService(
    queue as unknown as QueueStatsRepository,
    createLogger({ level: 'silent' }),
  );
  return { metrics, queue };
}

/** Histograms add `metricName` (`_bucket`, `_sum`, `_count`) to each value. */
type Value = MetricValue<string> & { metricName?: string };

async function values(metrics: MetricsService, name: string): Promise<Value[]> {
  const all = await metrics.registry.getMetricsAsJSON();
  return all.find((m) => m.name === name)?.values ?? [];
}

describe('MetricsService', () => {
  let now: jest.SpyInstance<number, []>;
  beforeEach(() => {
    now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
  });
  afterEach(() => {
    now.mockRestore();
  });

  it('keeps one registry per instance, with the default process metrics', async () => {
    const a = make().metrics;
    const b = make().metrics;
    a.accepted('single');
    expect(await values(a, 'mailgate_emails_accepted_total')).toEqual([
      { value: 1, labels: { route: 'single' } },
    ]);
    expect(await values(b, 'mailgate_emails_accepted_total')).toEqual([]);
    const names = (await a.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining(['process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']),
    );
  });

  it('counts attempts by transport and outcome, with bounded labels', async () => {
    const { metrics } = make();
    metrics.attemptSucceeded('provider:custom', 0.2);
    metrics.attemptFailed('provider:sendgrid', 'retry', 'rate_limited', 0.05);
    metrics.attemptFailed('provider:sendgrid', 'failed', 'rejected', 0.05);
    metrics.attemptFailed('provider:custom', 'fallback', 'auth', 1);
    metrics.attemptSucceeded('some-unknown-thing', 1);
    metrics.fellBack('provider_auth_failed');

    expect(await values(metrics, 'mailgate_emails_sent_total')).toEqual(
      expect.arrayContaining([
        { value: 1, labels: { transport: 'provider:custom' } },
        { value: 1, labels: { transport: 'other' } },
      ]),
    );
    expect(await values(metrics, 'mailgate_emails_failed_total')).toEqual([
      { value: 1, labels: { transport: 'provider:sendgrid', error_class: 'rejected' } },
    ]);
    expect(await values(metrics, 'mailgate_send_retries_total')).toEqual([
      { value: 1, labels: { error_class: 'rate_limited' } },
    ]);
    expect(await values(metrics, 'mailgate_send_attempts_total')).toEqual(
      expect.arrayContaining([
        { value: 1, labels: { transport: 'provider:custom', outcome: 'fallback' } },
        { value: 1, labels: { transport: 'provider:sendgrid', outcome: 'retry' } },
      ]),
    );
    expect(await values(metrics, 'mailgate_builtin_fallbacks_total')).toEqual([
      { value: 1, labels: { reason: 'provider_auth_failed' } },
    ]);
    const count = (await values(metrics, 'mailgate_send_attempt_duration_seconds')).find(
      (v) =>
        v.metricName === 'mailgate_send_attempt_duration_seconds_count' &&
        v.labels.transport === 'provider:sendgrid',
    );
    expect(count?.value).toBe(2);
  });

  it('reads the queue gauges with one query per TTL, however many scrapes', async () => {
    const { metrics, queue } = make();
    await Promise.all([metrics.registry.metrics(), metrics.registry.metrics()]);
    await metrics.registry.metrics();
    expect(queue.reads).toBe(1);
    expect(await values(metrics, 'mailgate_queue_messages')).toEqual(
      expect.arrayContaining([
        { value: 3, labels: { status: 'queued' } },
        { value: 1, labels: { status: 'sending' } },
      ]),
    );
    expect(await values(metrics, 'mailgate_queue_oldest_age_seconds')).toEqual([
      { value: 42.5, labels: {} },
    ]);
    expect(await values(metrics, 'mailgate_queue_due_lag_seconds')).toEqual([
      { value: 1.25, labels: {} },
    ]);

    now.mockReturnValue(1_000_000 + QUEUE_STATS_TTL_MS);
    queue.next = {
      queued: 0,
      sending: 0,
      oldestQueuedAgeSeconds: 0,
      dueLagSeconds: 0,
      circuits: [],
    };
    expect(await values(metrics, 'mailgate_queue_messages')).toEqual(
      expect.arrayContaining([{ value: 0, labels: { status: 'queued' } }]),
    );
    expect(queue.reads).toBe(2);
  });

  it('reports circuits by provider type and state only (every pair, 0 when none)', async () => {
    const { metrics } = make(new FakeQueueStats());
    const circuits = await values(metrics, 'mailgate_provider_circuits');
    expect(circuits).toHaveLength(4 * 3);
    expect(circuits).toEqual(
      expect.arrayContaining([
        { value: 2, labels: { provider_type: 'custom', state: 'open' } },
        { value: 5, labels: { provider_type: 'custom', state: 'closed' } },
        { value: 0, labels: { provider_type: 'sendgrid', state: 'half_open' } },
      ]),
    );
    for (const sample of circuits) {
      expect(Object.keys(sample.labels).sort()).toEqual(['provider_type', 'state']);
    }
  });

  it('reports the queue gauges as unknown and counts the error when the database cannot answer', async () => {
    const queue = new FakeQueueStats();
    queue.next = new Error('connection refused');
    const { metrics } = make(queue);
    await metrics.registry.metrics();
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/^mailgate_queue_messages\{/m);
    // prom-client prints `Nan`; Prometheus parses NaN case-insensitively (Go's ParseFloat).
    expect(text).toMatch(/^mailgate_queue_oldest_age_seconds nan$/im);
    expect(text).toMatch(/^mailgate_queue_due_lag_seconds nan$/im);
    expect(text).toMatch(/^mailgate_queue_stats_errors_total 1$/m);
  });
});
