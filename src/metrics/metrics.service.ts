import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LOGGER } from '../common/logger.constants';
import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';
import {
  CIRCUIT_STATES,
  circuitStateLabel,
  errorClassLabel,
  providerTypeLabel,
  transportLabel,
  type AcceptRoute,
  type AttemptOutcome,
  type FallbackKind,
} from './metric-labels';
import { ATTEMPT_DURATION_BUCKETS, QUEUE_STATS_TTL_MS } from './metrics.constants';
import { QueueStatsRepository, type QueueStats } from './queue-stats.repository';

/**
 * Prometheus metrics of one app instance, in its own Registry (never prom-client's global one:
 * tests run several apps in one process). Labels are closed sets: no tenant or message ids.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry = new Registry();
  private readonly log: Logger;
  private readonly acceptedTotal: Counter<'route'>;
  private readonly sentTotal: Counter<'transport'>;
  private readonly failedTotal: Counter<'transport' | 'error_class'>;
  private readonly attemptsTotal: Counter<'transport' | 'outcome'>;
  private readonly attemptDuration: Histogram<'transport'>;
  private readonly retriesTotal: Counter<'error_class'>;
  private readonly fallbacksTotal: Counter<'reason'>;
  private readonly withdrawnTotal: Counter<'transport'>;
  private readonly circuitTransitionsTotal: Counter<'provider_type' | 'state'>;
  private readonly deferredTotal: Counter<'reason'>;
  private readonly queueStatsErrors: Counter;
  private readonly eventsTotal: Counter<'type'>;
  private readonly suppressedTotal: Counter;
  private readonly purgedTotal: Counter<'what'>;
  private readonly purgeBatchDuration: Histogram;
  private queueStats?: { at: number; value: Promise<QueueStats | undefined> };
  private commitWaiting: () => number = () => 0;

  constructor(
    private readonly queue: QueueStatsRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'metrics' });
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.acceptedTotal = new Counter({
      name: 'mailgate_emails_accepted_total',
      help: 'Messages accepted into the outbox (idempotent replays excluded), by API route.',
      labelNames: ['route'],
      registers,
    });
    this.sentTotal = new Counter({
      name: 'mailgate_emails_sent_total',
      help: 'Messages delivered, by the transport that delivered them.',
      labelNames: ['transport'],
      registers,
    });
    this.failedTotal = new Counter({
      name: 'mailgate_emails_failed_total',
      help: 'Messages that failed for good, by the transport of the last attempt and error class.',
      labelNames: ['transport', 'error_class'],
      registers,
    });
    this.attemptsTotal = new Counter({
      name: 'mailgate_send_attempts_total',
      help: 'Send attempts by transport and outcome (sent, retry, failed, fallback).',
      labelNames: ['transport', 'outcome'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'mailgate_send_attempt_duration_seconds',
      help: 'Duration of send attempts, by transport.',
      labelNames: ['transport'],
      buckets: ATTEMPT_DURATION_BUCKETS,
      registers,
    });
    this.retriesTotal = new Counter({
      name: 'mailgate_send_retries_total',
      help: 'Failed attempts scheduled for a retry, by error class.',
      labelNames: ['error_class'],
      registers,
    });
    this.fallbacksTotal = new Counter({
      name: 'mailgate_builtin_fallbacks_total',
      help: "Attempts routed to the built-in mailer instead of the tenant's provider, by reason.",
      labelNames: ['reason'],
      registers,
    });
    this.withdrawnTotal = new Counter({
      name: 'mailgate_sends_withdrawn_total',
      help: 'Claimed messages given back to the queue (attempt not spent) because no connection of their transport was free before their start deadline.',
      labelNames: ['transport'],
      registers,
    });
    this.circuitTransitionsTotal = new Counter({
      name: 'mailgate_provider_circuit_transitions_total',
      help: "Tenant providers' circuit breakers entering a state (open, half_open, closed) through this replica, by provider type.",
      labelNames: ['provider_type', 'state'],
      registers,
    });
    this.deferredTotal = new Counter({
      name: 'mailgate_sends_deferred_total',
      help: "Claimed messages put back in the queue before reaching a transport (attempt not spent), by reason: rate_limit (the tenant's rateLimit).",
      labelNames: ['reason'],
      registers,
    });
    this.eventsTotal = new Counter({
      name: 'mailgate_email_events_total',
      help: 'Events written to message timelines, by type',
      labelNames: ['type'],
      registers,
    });
    this.suppressedTotal = new Counter({
      name: 'mailgate_suppressed_recipients_total',
      help: 'Recipients not attempted because their address is on the suppression list',
      registers,
    });
    this.purgedTotal = new Counter({
      name: 'mailgate_purged_total',
      help: 'Expired data removed by the purge worker: content (bodies, attachments, MIME), message (rows), attempt (their attempt rows), webhook_deliveries (delivered or failed ones).',
      labelNames: ['what'],
      registers,
    });
    this.purgeBatchDuration = new Histogram({
      name: 'mailgate_purge_batch_duration_seconds',
      help: 'Duration of one purge batch (one transaction: the longest its row locks are held).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.queueStatsErrors = new Counter({
      name: 'mailgate_queue_stats_errors_total',
      help: 'Scrapes whose queue gauges could not be read from the database.',
      registers,
    });

    const depth = new Gauge({
      name: 'mailgate_queue_messages',
      help: 'Unfinished messages in the outbox (all tenants), by status.',
      labelNames: ['status'],
      registers,
      collect: async () => {
        const stats = await this.readQueueStats();
        depth.reset();
        if (stats !== undefined) {
          depth.set({ status: 'queued' }, stats.queued);
          depth.set({ status: 'sending' }, stats.sending);
        }
      },
    });
    const oldest = new Gauge({
      name: 'mailgate_queue_oldest_age_seconds',
      help: 'Age of the oldest queued message (all tenants); 0 when the queue is empty, NaN when unknown.',
      registers,
      collect: async () => {
        const stats = await this.readQueueStats();
        // NaN, not 0, when unknown: an unreadable queue must not look empty to an alert.
        oldest.set(stats?.oldestQueuedAgeSeconds ?? NaN);
      },
    });
    const lag = new Gauge({
      name: 'mailgate_queue_due_lag_seconds',
      help: 'How long the longest-waiting due message is past its due time (all tenants); grows when dispatchers fall behind.',
      registers,
      collect: async () => {
        const stats = await this.readQueueStats();
        lag.set(stats?.dueLagSeconds ?? NaN);
      },
    });
    const circuits = new Gauge({
      name: 'mailgate_provider_circuits',
      help: "Enabled tenant providers (all tenants) by circuit breaker state and provider type; open ones hold their tenant's messages.",
      labelNames: ['provider_type', 'state'],
      registers,
      collect: async () => {
        const stats = await this.readQueueStats();
        circuits.reset();
        if (stats === undefined) {
          return;
        }
        for (const type of PROVIDER_TYPES) {
          for (const state of CIRCUIT_STATES) {
            circuits.set({ provider_type: type, state }, 0);
          }
        }
        for (const row of stats.circuits) {
          circuits.inc(
            {
              provider_type: providerTypeLabel(row.providerType),
              state: circuitStateLabel(row.state),
            },
            row.count,
          );
        }
      },
    });
    const waiting = new Gauge({
      name: 'mailgate_accept_commit_waiting',
      help: 'Single accepts of this replica waiting for a free insert (group commit); grows when PostgreSQL writes fall behind.',
      registers,
      collect: () => {
        waiting.set(this.commitWaiting());
      },
    });
  }

  purged(what: 'content' | 'message' | 'attempt' | 'webhook_deliveries', count: number): void {
    if (count > 0) {
      this.purgedTotal.inc({ what }, count);
    }
  }

  purgeBatch(seconds: number): void {
    this.purgeBatchDuration.observe(seconds);
  }

  /** The accept path's group commit reports its waiting rows through this. */
  observeCommitWaiting(read: () => number): void {
    this.commitWaiting = read;
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  accepted(route: AcceptRoute, count = 1): void {
    this.acceptedTotal.inc({ route }, count);
    // Each accepted message gets its `accepted` event in the same INSERT.
    this.eventsTotal.inc({ type: 'accepted' }, count);
  }

  /** Events just committed to timelines; `type` is one of events' EMAIL_EVENT_TYPES (a bounded set). */
  eventsWritten(events: ReadonlyArray<{ type: string }>): void {
    for (const event of events) {
      this.eventsTotal.inc({ type: event.type });
    }
  }

  recipientsSuppressed(count: number): void {
    if (count > 0) {
      this.suppressedTotal.inc(count);
    }
  }

  attemptSucceeded(transport: string, seconds: number): void {
    const label = transportLabel(transport);
    this.attemptsTotal.inc({ transport: label, outcome: 'sent' });
    this.attemptDuration.observe({ transport: label }, seconds);
    this.sentTotal.inc({ transport: label });
  }

  /** `transport` null: no transport could be resolved for the attempt. */
  attemptFailed(
    transport: string | null,
    outcome: Exclude<AttemptOutcome, 'sent'>,
    errorClass: string,
    seconds: number,
  ): void {
    const label = transportLabel(transport);
    this.attemptsTotal.inc({ transport: label, outcome });
    this.attemptDuration.observe({ transport: label }, seconds);
    if (outcome === 'retry') {
      this.retriesTotal.inc({ error_class: errorClassLabel(errorClass) });
    } else if (outcome === 'failed') {
      this.failedTotal.inc({ transport: label, error_class: errorClassLabel(errorClass) });
    }
  }

  /** One attempt sent through the built-in mailer instead of the provider, by the kind of its reason. */
  fellBack(kind: FallbackKind): void {
    this.fallbacksTotal.inc({ reason: kind });
  }

  /** A tenant provider's circuit entered `state` (CircuitBreaker). */
  circuitTransition(providerType: string, state: string): void {
    this.circuitTransitionsTotal.inc({
      provider_type: providerTypeLabel(providerType),
      state: circuitStateLabel(state),
    });
  }

  /** A claimed message withdrawn before it reached its transport (see DispatcherService.withdraw). */
  withdrawn(transport: string): void {
    this.withdrawnTotal.inc({ transport: transportLabel(transport) });
  }

  /** A claimed message deferred before it reached its transport (reason: a fixed set, e.g. rate_limit). */
  deferred(reason: string): void {
    this.deferredTotal.inc({ reason });
  }

  /** One query per QUEUE_STATS_TTL_MS shared by all gauges and concurrent scrapes; undefined when it failed. */
  private readQueueStats(): Promise<QueueStats | undefined> {
    const now = Date.now();
    if (this.queueStats === undefined || now - this.queueStats.at >= QUEUE_STATS_TTL_MS) {
      const value = this.queue.read().catch((error: unknown) => {
        this.queueStatsErrors.inc();
        this.log.warn({ err: error }, 'could not read the queue gauges');
        return undefined;
      });
      this.queueStats = { at: now, value };
    }
    return this.queueStats.value;
  }
}
