import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.constants';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { LifecycleService } from '../health/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { PurgeRepository, type PurgeSession } from './purge.repository';

/** Rows per statement: each batch stays a few milliseconds of work and row locks. */
export const PURGE_BATCH = 500;
/** Between batches, so accepts, claims and autovacuum interleave with a long purge. */
const BATCH_PAUSE_MS = 20;
/** The first cycle waits a little after start so the replica serves first. */
const FIRST_CYCLE_MS = 1_000;

export interface PurgeReport {
  content: number;
  messages: number;
  attempts: number;
  webhookDeliveries: number;
}

/**
 * Removes expired message data (MESSAGE_CONTENT_RETENTION, MESSAGE_RETENTION; the latter also
 * for finished webhook deliveries) in every replica
 * that runs the dispatcher. One replica at a time holds the purge lock; the others skip the cycle.
 * Only final messages are ever touched: both scans select on finished_at, which a database
 * trigger sets when a message reaches a final status and clears when it is requeued.
 */
@Injectable()
export class PurgeWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: Logger;
  private running = false;
  private loop?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private wakeUp?: () => void;

  constructor(
    private readonly repo: PurgeRepository,
    private readonly lifecycle: LifecycleService,
    private readonly metrics: MetricsService,
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'purge' });
  }

  onApplicationBootstrap(): void {
    if (this.env.app.role === 'api') {
      return;
    }
    this.running = true;
    this.lifecycle.onDrain(() => this.stop());
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.wakeUp?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async run(): Promise<void> {
    await this.sleep(FIRST_CYCLE_MS);
    while (this.running) {
      try {
        await this.cycle();
      } catch (error) {
        // Lock or statement timeouts end a cycle early; the next one continues where it stopped.
        this.log.warn({ err: error }, 'purge cycle stopped early; continuing next cycle');
      }
      if (this.running) {
        await this.sleep(this.env.retention.purgeIntervalMs);
      }
    }
  }

  /** One purge pass, or null when another replica holds the purge lock. */
  async cycle(): Promise<PurgeReport | null> {
    const session = await this.repo.lock();
    if (session === null) {
      return null;
    }
    const started = Date.now();
    const report: PurgeReport = { content: 0, messages: 0, attempts: 0, webhookDeliveries: 0 };
    try {
      await this.batches(session, report);
    } finally {
      await session.release();
      if (report.content + report.messages + report.webhookDeliveries > 0) {
        this.log.info({ ...report, ms: Date.now() - started }, 'purged expired message data');
      }
    }
    return report;
  }

  private async timed<T>(batch: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await batch();
    } finally {
      this.metrics.purgeBatch((performance.now() - started) / 1000);
    }
  }

  private async batches(session: PurgeSession, report: PurgeReport): Promise<void> {
    const { contentMs, messageMs } = this.env.retention;
    // Rows first: content of rows about to go need not be blanked on the way.
    for (;;) {
      const deleted = await this.timed(() => session.deleteMessages(messageMs, PURGE_BATCH));
      report.messages += deleted.messages;
      report.attempts += deleted.attempts;
      this.metrics.purged('message', deleted.messages);
      this.metrics.purged('attempt', deleted.attempts);
      if (deleted.messages < PURGE_BATCH || !this.running) {
        break;
      }
      await new Promise((r) => setTimeout(r, BATCH_PAUSE_MS));
    }
    while (this.running) {
      const deleted = await this.timed(() =>
        session.deleteWebhookDeliveries(messageMs, PURGE_BATCH),
      );
      report.webhookDeliveries += deleted;
      this.metrics.purged('webhook_deliveries', deleted);
      if (deleted < PURGE_BATCH) {
        break;
      }
      await new Promise((r) => setTimeout(r, BATCH_PAUSE_MS));
    }
    while (this.running) {
      const purged = await this.timed(() => session.purgeContent(contentMs, PURGE_BATCH));
      report.content += purged;
      this.metrics.purged('content', purged);
      if (purged < PURGE_BATCH) {
        break;
      }
      await new Promise((r) => setTimeout(r, BATCH_PAUSE_MS));
    }
  }
}
