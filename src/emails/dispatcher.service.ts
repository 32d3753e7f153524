import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.constants';
import { APP_ENV } from '../config/app-env.constants';
import type { ReadyEnv } from '../config/env';
import { LifecycleService } from '../health/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { DeliveryError } from '../transports/delivery-error';
import type {
  MailTransport,
  OutboundEmail,
  SendResult,
} from '../transports/mail-transport.interface';
import {
  EmailDispatchRepository,
  type RecipientPlanRow,
  type ClaimedMessage,
  type StoredError,
} from './email-dispatch.repository';
import { OUTBOX_CHANNEL } from './emails.constants';
import { suppressionKey } from '../suppressions/suppression-address';
import { ContentSealer } from './content-sealer';
import type { EmailPayload } from './email-request.validator';
import { CircuitBreaker, type CircuitTicket } from './scheduling/circuit-breaker';
import { SendRateGate, type RateDeferral } from './scheduling/send-rate-gate';
import { TenantSlots } from './scheduling/tenant-slots';
import { TransportSlots } from './scheduling/transport-slots';
import { untilLeaseEnds } from './scheduling/until-lease-ends';
import {
  failureOutcome,
  hasDeferred,
  mergeOutcomes,
  planAttempt,
  recipientsOf,
  sentOutcome,
  type Outcome,
} from './recipient-outcomes';
import { TransportResolver, type Route } from './transport-resolver';

/** Safety-net poll while idle; NOTIFY wakes the dispatcher at once for new work. */
const IDLE_POLL_MS = 2_000;
/** Never poll faster than this when rows are due but held by other replicas. */
const MIN_IDLE_MS = 50;
const MAX_BACKOFF_MS = 60 * 60 * 1000;
/** How long shutdown waits for in-flight sends before releasing their leases. */
const DRAIN_MS = 20_000;

/** A claimed message with its content opened (ContentSealer.open). */
export type OpenedMessage = Omit<ClaimedMessage, 'payload'> & { payload: EmailPayload };

/** A claimed message with the recipients this attempt goes to (the rest are final or suppressed). */
export interface PlannedMessage extends ClaimedMessage {
  plan: { all: string[]; attempt: string[]; outcome: Outcome };
  /** Epoch ms when this worker claimed it, and when its lease runs out (bookkeeping retried until then). */
  claimedAt: number;
  leaseEnd: number;
  /** Frees the tenant's slot (idempotent): once the send succeeded, another may start. */
  releaseSlot: () => void;
}

export function toOutbound(
  message: OpenedMessage & { plan?: PlannedMessage['plan'] },
): OutboundEmail {
  const p = message.payload;
  const plan = message.plan;
  return {
    envelopeTo:
      plan === undefined || plan.attempt.length === plan.all.length ? undefined : plan.attempt,
    messageId: message.id,
    from: p.from,
    fromName: p.fromName,
    to: p.to,
    cc: p.cc,
    bcc: p.bcc,
    replyTo: p.replyTo,
    subject: p.subject,
    text: p.text,
    html: p.html,
    headers: p.headers,
    attachments: p.attachments?.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      cid: a.cid,
      content: Buffer.from(a.content, 'base64'),
    })),
  };
}

/** Exponential backoff with full jitter (AWS architecture blog), never sooner than Retry-After. */
export function backoffMs(
  attempt: number,
  baseMs: number,
  retryAfterMs?: number,
  random = Math.random,
): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(Math.floor(random() * ceiling), retryAfterMs ?? 0);
}

function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) {
    return error;
  }
  // Anything unclassified is retried: it was not the provider refusing the message.
  return new DeliveryError('transient', 'Unexpected error while sending', {
    code: 'UNEXPECTED',
    cause: error,
  });
}

function secondsSince(start: Date): number {
  return (Date.now() - start.getTime()) / 1000;
}

function stored(error: DeliveryError): StoredError {
  return {
    class: error.errorClass,
    code: error.code,
    status: error.status,
    message: error.message,
  };
}

/**
 * The outbox worker: claims due messages with FOR UPDATE SKIP LOCKED, leases them, sends them
 * with bounded concurrency through the tenant's transport, and applies the error class:
 * rejected/config fail at once; transient/rate_limited/auth retry with backoff until
 * DISPATCH_MAX_ATTEMPTS. Delivery is at-least-once; every attempt carries one Message-ID.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log: Logger;
  private running = false;
  private loop?: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();
  private waker?: () => void;
  private wakePending = false;
  private listener?: Client;
  private reconnectTimer?: NodeJS.Timeout;
  /** Fair share per tenant (DISPATCH_TENANT_CONCURRENCY, transport size, round robin). */
  private readonly tenants: TenantSlots;
  /** No adapter is handed more sends than it can start (see MailTransport.maxConcurrency). */
  private readonly transportSlots = new TransportSlots();

  constructor(
    private readonly repo: EmailDispatchRepository,
    private readonly resolver: TransportResolver,
    private readonly lifecycle: LifecycleService,
    @Inject(APP_ENV) private readonly env: ReadyEnv,
    @Inject(LOGGER) logger: Logger,
    private readonly metrics: MetricsService,
    private readonly sealer: ContentSealer,
    private readonly breaker: CircuitBreaker,
    private readonly rateGate: SendRateGate,
  ) {
    this.log = logger.child({ module: 'dispatcher', workerId: this.workerId });
    this.tenants = new TenantSlots(env.dispatch.tenantConcurrency);
  }

  onApplicationBootstrap(): void {
    if (this.env.app.role === 'api') {
      return;
    }
    this.running = true;
    this.lifecycle.onDrain(() => this.stop());
    this.listen();
    this.loop = this.run();
    this.log.info(
      {
        concurrency: this.env.dispatch.concurrency,
        tenantConcurrency: this.env.dispatch.tenantConcurrency,
      },
      'dispatcher started',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Stops claiming, lets in-flight sends finish (bounded), and gives back what is left. */
  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.running = false;
    this.wake();
    clearTimeout(this.reconnectTimer);
    await this.loop;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((r) => (timer = setTimeout(r, Math.min(DRAIN_MS, this.env.dispatch.leaseMs)))),
    ]);
    clearTimeout(timer);
    try {
      const released = await this.repo.releaseLeases(this.workerId);
      if (released > 0) {
        this.log.warn({ released }, 'released leases of unfinished sends');
      }
    } catch (error) {
      this.log.error({ err: error }, 'could not release leases; they expire by themselves');
    }
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    this.log.info('dispatcher stopped');
  }

  /** Wakes the loop (new work, a free slot, or stop). */
  private wake(): void {
    this.wakePending = true;
    const waker = this.waker;
    this.waker = undefined;
    waker?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waker = undefined;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waker = done;
    });
  }

  /** A dedicated connection LISTENing for new work; reconnects after database restarts. */
  private listen(): void {
    if (!this.running) {
      return;
    }
    const client = new Client({
      connectionString: this.env.database.url,
      application_name: 'mailgate-listener',
    });
    const retry = (error?: unknown): void => {
      if (this.listener === client) {
        this.listener = undefined;
      }
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (this.running) {
        if (error !== undefined) {
          this.log.warn({ err: error }, 'outbox listener lost; reconnecting');
        }
        this.reconnectTimer = setTimeout(() => this.listen(), 1_000);
      }
    };
    client.on('notification', () => this.wake());
    client.on('error', retry);
    client.on('end', () => retry());
    this.listener = client;
    client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(() => this.wake())
      .catch(retry);
  }

  private async run(): Promise<void> {
    const { concurrency, leaseMs } = this.env.dispatch;
    // Claims in a row that found nothing although rows were already due (held by other replicas,
    // or by a scheduling gate such as an open circuit).
    let stalled = 0;
    let pastDue = false;
    while (this.running) {
      const free = concurrency - this.inflight.size;
      let claimed = 0;
      let walkCut = false;
      if (free > 0 && !this.lifecycle.draining) {
        try {
          const { messages, lastServed, ...claim } = await this.repo.claim(
            free,
            leaseMs,
            this.workerId,
            this.tenants.limits(),
          );
          this.tenants.claimed(
            messages.map((m) => m.tenantId),
            lastServed,
          );
          const claimedAt = Date.now();
          // One round trip for the whole claim; each send awaits its own part of it.
          const plans = this.repo.recipientPlans(
            messages.map((m) => ({
              tenantId: m.tenantId,
              id: m.id,
              keys: recipientsOf(m.payload).map(suppressionKey),
            })),
          );
          plans.catch(() => undefined); // each process() sees the failure itself
          for (const message of messages) {
            const slot = this.tenantSlot(message.tenantId);
            this.track(slot, this.process(message, claimedAt, plans, slot));
          }
          claimed = messages.length;
          walkCut = claim.walkCut;
        } catch (error) {
          this.log.error({ err: error }, 'claim failed; retrying');
          await this.sleep(1_000);
          continue;
        }
      }
      if (!this.running) {
        break;
      }
      stalled = claimed === 0 && pastDue ? stalled + 1 : 0;
      pastDue = false;
      if (claimed > 0 && claimed < free && walkCut) {
        // Tenants past this claim's walk may have due work; a claim that finds nothing sleeps.
        continue;
      }
      if (this.inflight.size > 0) {
        // Busy: a finished send (or NOTIFY) wakes the loop.
        await this.sleep(IDLE_POLL_MS);
        continue;
      }
      // Idle: sleep until the next row is due.
      const idle = await this.idleMs(stalled);
      pastDue = idle.pastDue;
      await this.sleep(idle.ms);
    }
  }

  /**
   * Until the next row is due. Rows already due that `stalled` claims in a row did not find (their
   * tenant's circuit is open, or other replicas hold them) back the poll off, doubling up to IDLE_POLL_MS.
   */
  private async idleMs(stalled: number): Promise<{ ms: number; pastDue: boolean }> {
    try {
      const due = await this.repo.nextDueAt();
      if (due === null) {
        return { ms: IDLE_POLL_MS, pastDue: false };
      }
      const wait = new Date(due).getTime() - Date.now();
      if (wait > 0) {
        return { ms: Math.min(IDLE_POLL_MS, Math.max(MIN_IDLE_MS, wait)), pastDue: false };
      }
      return { ms: Math.min(IDLE_POLL_MS, MIN_IDLE_MS * 2 ** stalled), pastDue: true };
    } catch {
      return { ms: IDLE_POLL_MS, pastDue: false };
    }
  }

  /**
   * Gives a claimed message's tenant slot back, once: when its send settles (bookkeeping after it
   * holds no connection), or when its processing ends otherwise.
   */
  private tenantSlot(tenantId: string): () => void {
    let held = true;
    return () => {
      if (held) {
        held = false;
        if (this.tenants.finished(tenantId)) {
          this.wake();
        }
      }
    };
  }

  private track(releaseSlot: () => void, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) =>
        this.log.error({ err: error }, 'dispatch bookkeeping failed; the lease will expire'),
      )
      .finally(() => {
        this.inflight.delete(tracked);
        releaseSlot();
      });
    this.inflight.add(tracked);
  }

  /**
   * Hands the message to the adapter once it has a free slot. Resolves null when no slot came
   * before `startBy`: nothing reached the server, and the caller gives the message back.
   */
  private async send(
    transport: MailTransport,
    message: PlannedMessage,
    startBy: number,
    settleBy: number,
    ticket: CircuitTicket | null,
    failureRecorded: Promise<void>,
  ): Promise<SendResult | null | { heldUntil: Date }> {
    // A sensitive message's content exists in clear only here, for the send.
    const payload = this.sealer.open(message.tenantId, message.payload);
    if (!(await this.transportSlots.acquire(transport, startBy))) {
      return null;
    }
    const heldUntil = this.breaker.heldBack(ticket, message.claimedAt);
    if (heldUntil !== null) {
      this.transportSlots.release(transport);
      return { heldUntil };
    }
    const sending = transport.send(toOutbound({ ...message, payload }));
    // The slot is held until the adapter is really done, even if the backstop gave up first, and
    // after a failure until the breaker has counted it: the next message waiting for this slot
    // checks heldBack() only then, so it does not connect to a provider that just opened.
    const release = (): void => this.transportSlots.release(transport);
    sending.then(release, () => void failureRecorded.then(release));
    let timer: NodeJS.Timeout | undefined;
    // Transports bound their own timeouts; this is the backstop that keeps the lease meaningful.
    const backstop = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DeliveryError('transient', 'Send timed out', { code: 'ETIMEDOUT' })),
        Math.max(500, settleBy - Date.now()),
      );
    });
    try {
      return await Promise.race([sending, backstop]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async process(
    claimed: ClaimedMessage,
    claimedAt: number,
    plans: Promise<Map<string, RecipientPlanRow>>,
    releaseSlot: () => void,
  ): Promise<void> {
    const { leaseMs } = this.env.dispatch;
    // A send must start in the first half of the lease and settle before its end.
    const deadlines = { startBy: claimedAt + leaseMs / 2, settleBy: claimedAt + leaseMs * 0.9 };
    // Suppressed recipients are not attempted; recipients final on an earlier attempt neither.
    const all = recipientsOf(claimed.payload);
    const stored = (await plans).get(claimed.id) ?? { recipients: null, suppressed: [] };
    const { attempt, outcome } = planAttempt(all, stored.recipients, new Set(stored.suppressed));
    const message: PlannedMessage = {
      ...claimed,
      plan: { all, attempt, outcome },
      releaseSlot,
      claimedAt,
      // A margin before the row's own lease: another replica may take it over from then on.
      leaseEnd: claimedAt + leaseMs * 0.95,
    };
    const suppressed = outcome.events.length;
    if (attempt.length === 0) {
      await this.durably(message, () =>
        this.repo.finishWithoutAttempt(message.id, this.workerId, outcome),
      );
      this.metrics.recipientsSuppressed(suppressed);
      this.metrics.eventsWritten(outcome.events);
      return;
    }
    this.metrics.recipientsSuppressed(suppressed);
    let route: Route;
    try {
      route = await this.resolver.resolve(message.tenantId, message.configVersion);
    } catch (error) {
      this.log.error({ err: error, messageId: message.id }, 'could not resolve the transport');
      // A DeliveryError (an undecryptable secret is `config`) keeps its class; the rest is retried.
      await this.handleFailure(
        message,
        'unresolved',
        { fallbackReason: null, fallbackOnFailure: false, configVersion: message.configVersion },
        new Date(),
        asDeliveryError(error),
      );
      return;
    }
    this.tenants.learned(message.tenantId, route.transport.maxConcurrency);
    // The provider's circuit breaker: an open circuit keeps the message queued, attempt unspent.
    const admission = await this.breaker.admit(message, route);
    switch (admission.kind) {
      case 'hold':
        await this.repo.unclaim(message.id, this.workerId, admission.notBefore);
        return;
      case 'fallback':
        await this.sendViaBuiltin(message, admission.reason);
        return;
      case 'send':
        // After the breaker, so a held message spends none of the tenant's rate budget; only
        // limited tenants pay the gate's round-trip.
        if (route.rateLimit !== null) {
          const deferral = await this.rateGate.admit(
            message.tenantId,
            route.rateLimit,
            deadlines.startBy,
          );
          if (deferral !== null) {
            await this.breaker.released(admission.ticket);
            await this.deferForRate(message, route, deferral);
            return;
          }
        }
        await this.attempt(message, route, deadlines, admission.ticket);
    }
  }

  /** One attempt through `route`: sent, or handed to the failure policy. */
  private async attempt(
    message: PlannedMessage,
    route: Route,
    deadlines: { startBy: number; settleBy: number },
    ticket: CircuitTicket | null = null,
  ): Promise<void> {
    const { transport, fallbackReason } = route;
    if (fallbackReason !== null) {
      this.metrics.fellBack(fallbackReason);
    }
    const startedAt = new Date();
    let result: SendResult;
    let recordFailure: () => void = () => undefined;
    const failureRecorded = new Promise<void>((resolve) => (recordFailure = resolve));
    try {
      const sending = await this.send(
        transport,
        message,
        deadlines.startBy,
        deadlines.settleBy,
        ticket,
        failureRecorded,
      );
      if (sending === null) {
        await this.breaker.released(ticket);
        await this.withdraw(message, transport);
        return;
      }
      if ('heldUntil' in sending) {
        // The circuit opened while this message waited for a connection: back to the queue.
        await this.durably(message, () =>
          this.repo.unclaim(message.id, this.workerId, sending.heldUntil),
        );
        return;
      }
      result = sending;
    } catch (error) {
      const failure = asDeliveryError(error);
      try {
        await this.breaker.failed(ticket, failure);
      } finally {
        recordFailure();
      }
      await this.handleFailure(message, transport.name, route, startedAt, failure);
      return;
    }
    await this.breaker.succeeded(ticket);
    // Sent: the rest is bookkeeping, which holds no connection. (A failure keeps the slot until
    // the breaker has counted it, or the next claim would try the failing provider again.)
    message.releaseSlot();
    // Per recipient: accepted ones sent, 5xx ones bounced, 4xx ones retried alone.
    const { maxAttempts, retryBaseMs } = this.env.dispatch;
    const sent = sentOutcome(message.plan.attempt, result, {
      transport: transport.name,
      providerMessageId: result.providerMessageId,
      retrying: message.attempt < maxAttempts,
    });
    const retryAt = hasDeferred(sent)
      ? new Date(Date.now() + backoffMs(message.attempt, retryBaseMs))
      : null;
    const anySent = sent.events.some((event) => event.type === 'sent');
    const attemptOutcome = anySent ? 'sent' : retryAt === null ? 'failed' : 'retry';
    if (attemptOutcome === 'sent') {
      this.metrics.attemptSucceeded(transport.name, secondsSince(startedAt));
    } else {
      this.metrics.attemptFailed(
        transport.name,
        attemptOutcome,
        'rejected',
        secondsSince(startedAt),
      );
    }
    const outcome = mergeOutcomes(message.plan.outcome, sent);
    await this.durably(message, () =>
      this.repo.markSent(
        message.id,
        {
          transport: transport.name,
          configVersion: route.configVersion,
          startedAt,
          durationMs: Date.now() - startedAt.getTime(),
        },
        {
          providerMessageId: result.providerMessageId,
          capturedMime: result.capturedMime,
          fallbackReason,
          outcome,
          retryAt,
          attemptOutcome,
        },
      ),
    );
    this.metrics.eventsWritten(outcome.events);
  }

  private async handleFailure(
    message: PlannedMessage,
    transportName: string,
    route: Pick<Route, 'fallbackReason' | 'fallbackOnFailure' | 'configVersion'>,
    startedAt: Date,
    error: DeliveryError,
  ): Promise<void> {
    const { maxAttempts, retryBaseMs } = this.env.dispatch;
    const attempt = {
      transport: transportName,
      configVersion: route.configVersion,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
    };
    const retriable =
      error.errorClass === 'transient' ||
      error.errorClass === 'rate_limited' ||
      error.errorClass === 'auth';
    const exhausted = message.attempt >= maxAttempts;
    this.log.warn(
      {
        messageId: message.id,
        attempt: message.attempt,
        transport: transportName,
        error: stored(error),
      },
      'send failed',
    );

    const fallbackReason =
      route.fallbackOnFailure && route.fallbackReason === null
        ? error.errorClass === 'auth'
          ? `provider authentication failed (${error.code})`
          : retriable && exhausted
            ? `provider retries exhausted (${error.code})`
            : null
        : null;
    if (fallbackReason !== null) {
      this.metrics.attemptFailed(
        attempt.transport,
        'fallback',
        error.errorClass,
        attempt.durationMs / 1000,
      );
      await this.durably(message, () =>
        this.repo.recordAttempt(message.id, message.attempt, attempt, stored(error)),
      );
      await this.sendViaBuiltin(message, fallbackReason);
      return;
    }
    const retryAt =
      retriable && !exhausted
        ? new Date(Date.now() + backoffMs(message.attempt, retryBaseMs, error.retryAfterMs))
        : null;
    const outcome = mergeOutcomes(
      message.plan.outcome,
      failureOutcome(message.plan.attempt, error, transportName, retryAt),
    );
    this.metrics.attemptFailed(
      attempt.transport,
      retryAt === null ? 'failed' : 'retry',
      error.errorClass,
      attempt.durationMs / 1000,
    );
    await this.durably(message, () =>
      this.repo.markAttemptFailed(
        message.id,
        this.workerId,
        attempt,
        stored(error),
        retryAt,
        route.fallbackReason,
        outcome,
      ),
    );
    this.metrics.eventsWritten(outcome.events);
  }

  private async sendViaBuiltin(message: PlannedMessage, reason: string): Promise<void> {
    const { leaseMs } = this.env.dispatch;
    // The provider's attempt used part of the lease: the fallback gets a share of what is left.
    const now = Date.now();
    await this.attempt(
      message,
      {
        transport: this.resolver.builtin(),
        fallbackReason: reason,
        fallbackOnFailure: false,
        configVersion: message.configVersion,
        providerType: null,
        rateLimit: null,
      },
      { startBy: now + leaseMs / 4, settleBy: now + leaseMs / 2 },
    );
  }

  /**
   * Over the tenant's send rate: back to the queue until the limit frees, its attempt not spent,
   * with a `deferred` attempt (reason `rate_limit`) so the wait is visible on the message.
   */
  private async deferForRate(
    message: PlannedMessage,
    route: Route,
    deferral: RateDeferral,
  ): Promise<void> {
    this.metrics.deferred('rate_limit');
    const limit = route.rateLimit?.[deferral.limit];
    await this.durably(message, () =>
      this.repo.defer(message.id, this.workerId, deferral.until, {
        transport: route.transport.name,
        reason: 'rate_limit',
        message:
          deferral.limit === 'perDay'
            ? `Daily send limit reached (rateLimit.perDay ${limit}, UTC day): waits for the next day`
            : `Send rate reached (rateLimit.perSecond ${limit}): waits for a free slot`,
      }),
    );
  }

  /**
   * No slot of the adapter came before the message's start deadline: it never left this process,
   * so it goes back to the queue as it was (its attempt not spent), due again at once.
   */
  private async withdraw(message: PlannedMessage, transport: MailTransport): Promise<void> {
    this.metrics.withdrawn(transport.name);
    this.log.info(
      { messageId: message.id, transport: transport.name },
      'send withdrawn: no free connection before its start deadline',
    );
    await this.durably(message, () => this.repo.unclaim(message.id, this.workerId, new Date()));
  }

  /**
   * Bookkeeping after a send is retried through a short database outage (a restart, a failover)
   * until the lease ends, so a message the provider took is recorded, not sent again.
   */
  private durably(message: PlannedMessage, write: () => Promise<void>): Promise<void> {
    let told = false;
    return untilLeaseEnds(write, {
      leaseEnd: message.leaseEnd,
      onRetry: (error) => {
        if (!told) {
          told = true;
          this.log.warn(
            { err: error, messageId: message.id },
            'database unreachable while recording a send; retrying until the lease ends',
          );
        }
      },
    });
  }
}
