import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import { LOGGER } from '../common/logger.constants';
import { MetricsService } from '../metrics/metrics.service';
import { WebhooksRepository, type OutboxStats } from './webhooks.repository';

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/** Stats are read once per scrape at most this often, however many gauges ask. */
const STATS_TTL_MS = 1_000;

/** Webhook metrics, on the app's registry. Labels are closed sets (no tenant or endpoint ids). */
@Injectable()
export class WebhookMetrics {
  private readonly deliveries: Counter<'outcome'>;
  private readonly attemptDuration: Histogram;
  private stats?: { at: number; value: Promise<OutboxStats | undefined> };
  private readonly log: Logger;

  constructor(metrics: MetricsService, repo: WebhooksRepository, @Inject(LOGGER) logger: Logger) {
    this.log = logger.child({ module: 'webhooks' });
    const registers = [metrics.registry];
    this.deliveries = new Counter({
      name: 'mailgate_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (scheduled again), failed (given up).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['delivered', 'retry', 'failed'] as const) {
      this.deliveries.inc({ outcome }, 0);
    }
    this.attemptDuration = new Histogram({
      name: 'mailgate_webhook_attempt_duration_seconds',
      help: 'Duration of webhook POSTs, answer or error.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const read = (): Promise<OutboxStats | undefined> => {
      const now = Date.now();
      if (this.stats === undefined || now - this.stats.at > STATS_TTL_MS) {
        this.stats = {
          at: now,
          value: repo.stats().catch((error: unknown) => {
            this.log.warn({ err: error }, 'could not read the webhook outbox stats');
            return undefined;
          }),
        };
      }
      return this.stats.value;
    };
    const depth = new Gauge({
      name: 'mailgate_webhook_outbox_deliveries',
      help: 'Webhook deliveries not yet delivered or failed (all tenants), by status.',
      labelNames: ['status'],
      registers,
      collect: async () => {
        const stats = await read();
        depth.reset();
        if (stats !== undefined) {
          depth.set({ status: 'pending' }, stats.pending);
          depth.set({ status: 'delivering' }, stats.delivering);
        }
      },
    });
    const oldest = new Gauge({
      name: 'mailgate_webhook_outbox_oldest_age_seconds',
      help: 'Age of the oldest webhook delivery not yet delivered or failed; 0 when none, NaN when unknown.',
      registers,
      collect: async () => {
        oldest.set((await read())?.oldestPendingAgeSeconds ?? NaN);
      },
    });
  }

  countDelivery(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }

  observeAttempt(latencyMs: number): void {
    this.attemptDuration.observe(latencyMs / 1000);
  }
}
