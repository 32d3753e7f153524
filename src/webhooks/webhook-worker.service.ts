import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { ReadyEnv } from '../config/env';
import { LOGGER } from '../common/logger.constants';
import { SecretCipher } from '../common/secret-cipher';
import { APP_ENV } from '../config/app-env.constants';
import { LifecycleService } from '../health/lifecycle.service';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookSender, type WebhookResponse } from './webhook-sender';
import { signWebhook } from './webhook-signature';
import { endpointSecretAad } from './webhooks.constants';
import { WebhooksRepository, type ClaimedDelivery } from './webhooks.repository';

/** A lease outlives the attempt's timeout by this much before another replica may take it. */
const LEASE_MARGIN_MS = 5_000;
/** How often expired leases (a replica died mid-delivery) are made due again, and orphans swept. */
const RECLAIM_EVERY_MS = 5_000;
/** How long shutdown waits for in-flight deliveries before giving their leases back. */
const DRAIN_MS = 15_000;

/** ±10 % so retries of many deliveries that failed together do not arrive together. */
export function jittered(ms: number, random = Math.random): number {
  return Math.round(ms * (0.9 + 0.2 * random()));
}

/**
 * When attempt `attempt` (1-based) failed: the next one per WEBHOOK_RETRY_SCHEDULE, or null
 * when the schedule is used up (the delivery fails).
 */
export function nextRetryAt(
  attempt: number,
  scheduleMs: readonly number[],
  now = Date.now(),
  random = Math.random,
): Date | null {
  const step = scheduleMs[attempt - 1];
  return step === undefined ? null : new Date(now + jittered(step, random));
}

/**
 * The webhook outbox's worker, in every replica that dispatches mail (not MAILGATE_ROLE=api).
 * Claims due deliveries fairly across endpoints (FOR UPDATE SKIP LOCKED), at most
 * WEBHOOK_ENDPOINT_CONCURRENCY per endpoint, signs each attempt (Standard Webhooks) and POSTs
 * it. At-least-once: a delivery is marked only after its answer, and a dead replica's lease
 * expires. Its own loop and HTTP pools: a slow receiver never holds up the mail dispatcher.
 */
@Injectable()
export class WebhookWorkerService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log: Logger;
  private readonly sender: WebhookSender;
  private running = false;
  private loop?: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();
  private waker?: () => void;
  private wakePending = false;
  private lastReclaim = 0;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly cipher: SecretCipher,
    private readonly lifecycle: LifecycleService,
    private readonly metrics: WebhookMetrics,
    @Inject(APP_ENV) private readonly env: ReadyEnv,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'webhooks', workerId: this.workerId });
    this.sender = new WebhookSender(env.egress);
  }

  onApplicationBootstrap(): void {
    if (this.env.app.role === 'api') {
      return;
    }
    this.running = true;
    this.lifecycle.onDrain(() => this.stop());
    this.loop = this.run();
    this.log.info(
      {
        concurrency: this.env.webhooks.concurrency,
        endpointConcurrency: this.env.webhooks.endpointConcurrency,
      },
      'webhook worker started',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** New work for this replica (a test event, a retry): look now instead of at the next poll. */
  wake(): void {
    if (this.waker !== undefined) {
      this.waker();
    } else {
      this.wakePending = true;
    }
  }

  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.running = false;
    this.wake();
    await this.loop;
    const drained = Promise.allSettled([...this.inflight]);
    await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
    await this.repo.releaseLeases(this.workerId).catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not give back webhook leases; they expire on their own');
    });
    this.sender.close();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waker = () => {
        this.waker = undefined;
        done();
      };
    });
  }

  private async run(): Promise<void> {
    const { concurrency, endpointConcurrency, timeoutMs, pollMs } = this.env.webhooks;
    while (this.running) {
      let full = false;
      try {
        if (Date.now() - this.lastReclaim >= RECLAIM_EVERY_MS) {
          this.lastReclaim = Date.now();
          const reclaimed = await this.repo.releaseExpiredLeases();
          if (reclaimed > 0) {
            this.log.warn({ reclaimed }, 'webhook deliveries of an expired lease are due again');
          }
          await this.repo.failWaitingOfDisabled();
        }
        const free = concurrency - this.inflight.size;
        if (free > 0) {
          const claimed = await this.repo.claim(
            free,
            endpointConcurrency,
            timeoutMs + LEASE_MARGIN_MS,
            this.workerId,
          );
          for (const delivery of claimed) {
            this.start(delivery);
          }
          full = claimed.length === free;
        }
      } catch (error) {
        this.log.error({ err: error }, 'webhook claim failed');
      }
      if (!this.running) {
        break;
      }
      // A full claim means more may be due: go again once a slot frees (it wakes us).
      await this.sleep(full ? pollMs * 10 : pollMs);
    }
  }

  private start(delivery: ClaimedDelivery): void {
    const task = this.deliver(delivery)
      .catch((error: unknown) => {
        this.log.error({ err: error, deliveryId: delivery.id }, 'webhook bookkeeping failed');
      })
      .finally(() => {
        this.inflight.delete(task);
        this.wake();
      });
    this.inflight.add(task);
  }

  private secretsOf(delivery: ClaimedDelivery): string[] {
    const aad = endpointSecretAad(delivery.tenantId, delivery.endpointId);
    const secrets = [this.cipher.decrypt(delivery.secretCiphertext, aad)];
    if (delivery.previousSecretCiphertext !== null) {
      secrets.push(this.cipher.decrypt(delivery.previousSecretCiphertext, aad));
    }
    return secrets;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    let response: WebhookResponse;
    try {
      const timestamp = Math.floor(startedAt.getTime() / 1000);
      response = await this.sender.post({
        url: delivery.url,
        body: delivery.body,
        timeoutMs: this.env.webhooks.timeoutMs,
        headers: {
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(
            this.secretsOf(delivery),
            delivery.id,
            timestamp,
            delivery.body,
          ),
        },
      });
    } catch (error) {
      // The secret could not be decrypted (MAILGATE_SECRET_KEY lost a key): nothing was sent.
      response = {
        ok: false,
        statusCode: null,
        latencyMs: 0,
        error: error instanceof Error ? error.message : 'could not sign',
      };
    }
    const result = { startedAt, ...response };
    this.metrics.observeAttempt(response.latencyMs);
    if (response.ok) {
      await this.repo.markDelivered(delivery, result);
      this.metrics.countDelivery('delivered');
      return;
    }
    const retryAt = nextRetryAt(delivery.attempt, this.env.webhooks.retryScheduleMs);
    const disabled = await this.repo.markAttemptFailed(
      delivery,
      this.workerId,
      result,
      retryAt,
      this.env.webhooks.disableAfterMs,
    );
    this.metrics.countDelivery(retryAt === null ? 'failed' : 'retry');
    this.log.info(
      {
        deliveryId: delivery.id,
        endpointId: delivery.endpointId,
        tenantId: delivery.tenantId,
        attempt: delivery.attempt,
        statusCode: response.statusCode,
        error: response.error,
        retryAt,
      },
      retryAt === null ? 'webhook delivery failed for good' : 'webhook attempt failed',
    );
    if (disabled) {
      this.log.warn(
        { endpointId: delivery.endpointId, tenantId: delivery.tenantId },
        'webhook endpoint disabled: its attempts have failed for too long',
      );
    }
  }
}
