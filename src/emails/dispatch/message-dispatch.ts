import type { Logger } from 'pino';
import type { AppEnv } from '../../config/env';
import type { MetricsService } from '../../metrics/metrics.service';
import { DeliveryError } from '../../transports/delivery-error';
import type { MailTransport, SendResult } from '../../transports/mail-transport.interface';
import type { ContentSealer } from '../content-sealer';
import type { ClaimedMessage, RecipientPlanRow } from '../email-dispatch.repository';
import type { FallbackReason } from '../fallback-reason';
import {
  failureOutcome,
  mergeOutcomes,
  planAttempt,
  recipientsOf,
  sentOutcome,
} from '../recipient-outcomes';
import type { CircuitBreaker, CircuitTicket } from '../scheduling/circuit-breaker';
import type { RateDeferral, SendRateGate } from '../scheduling/send-rate-gate';
import type { SendSlots } from '../scheduling/send-slots';
import type { TenantSlots } from '../scheduling/tenant-slots';
import type { Route, TransportResolver } from '../transport-resolver';
import { asDeliveryError, canRetry, decideFailure, decideSent } from './attempt-policy';
import { storedError, type DispatchBookkeeping } from './dispatch-bookkeeping';
import { toOutbound, type PlannedMessage } from './outbound';

interface Deadlines {
  /** Epoch ms by which the send must have started (a free slot of its transport). */
  startBy: number;
  /** Epoch ms by which the send must have settled (the backstop timeout). */
  settleBy: number;
}

function secondsSince(start: Date): number {
  return (Date.now() - start.getTime()) / 1000;
}

/**
 * One claimed message, from claim to record: its recipients' plan (suppressions), its route
 * (TransportResolver), the scheduling gates (circuit breaker, send rate), the send, and what the
 * result or the failure policy (attempt-policy.ts) means for it, written by DispatchBookkeeping.
 */
export class MessageDispatch {
  constructor(
    /** Sends in flight per replica, tenant and adapter (see MailTransport.maxConcurrency). */
    private readonly slots: SendSlots,
    private readonly books: DispatchBookkeeping,
    private readonly resolver: TransportResolver,
    private readonly sealer: ContentSealer,
    private readonly breaker: CircuitBreaker,
    private readonly rateGate: SendRateGate,
    private readonly tenants: TenantSlots,
    private readonly metrics: MetricsService,
    private readonly env: AppEnv['dispatch'],
    private readonly log: Logger,
  ) {}

  /** `plans`: the recipient plans of the whole claim (one statement), keyed by message id. */
  async process(
    claimed: ClaimedMessage,
    claimedAt: number,
    plans: Promise<Map<string, RecipientPlanRow>>,
  ): Promise<void> {
    const { leaseMs } = this.env;
    // A send must start in the first half of the lease and settle before its end.
    const deadlines = { startBy: claimedAt + leaseMs / 2, settleBy: claimedAt + leaseMs * 0.9 };
    // Suppressed recipients are not attempted; recipients final on an earlier attempt neither.
    const all = recipientsOf(claimed.payload);
    const stored = (await plans).get(claimed.id) ?? { recipients: null, suppressed: [] };
    const { attempt, outcome } = planAttempt(all, stored.recipients, new Set(stored.suppressed));
    const message: PlannedMessage = {
      ...claimed,
      plan: { all, attempt, outcome },
      claimedAt,
      // A margin before the row's own lease: another replica may take it over from then on.
      leaseEnd: claimedAt + leaseMs * 0.95,
    };
    const suppressed = outcome.events.length;
    if (attempt.length === 0) {
      await this.books.finishWithoutAttempt(message, outcome);
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
        null,
        { fallbackReason: null, fallbackOnFailure: false, configVersion: message.configVersion },
        new Date(),
        asDeliveryError(error),
      );
      return;
    }
    this.tenants.learned(message.tenantId, route.transport);
    // The provider's circuit breaker: an open circuit keeps the message queued, attempt unspent.
    const admission = await this.breaker.admit(message, route);
    switch (admission.kind) {
      case 'hold':
        await this.books.held(message, admission.notBefore);
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

  /**
   * Hands the message to the adapter once it has a free slot. Resolves null when no slot came
   * before `startBy`: nothing reached the server, and the caller gives the message back.
   */
  private async send(
    transport: MailTransport,
    message: PlannedMessage,
    { startBy, settleBy }: Deadlines,
    ticket: CircuitTicket | null,
    failureRecorded: Promise<void>,
    started: { at: Date },
  ): Promise<SendResult | null | { heldUntil: Date }> {
    // A sensitive message's content exists in clear only here, for the send.
    const payload = this.sealer.open(message.tenantId, message.payload);
    const outbound = toOutbound({ ...message, payload });
    // Built while the message waits for its slot, not after a connection freed for it.
    transport.prepare?.(outbound);
    if (!(await this.slots.acquire(message.tenantId, transport, startBy))) {
      return null;
    }
    const release = (): void => this.slots.release(message.tenantId, transport);
    const heldUntil = this.breaker.heldBack(ticket, message.claimedAt);
    if (heldUntil !== null) {
      release();
      return { heldUntil };
    }
    // The attempt starts when the adapter gets it, not while it waited for the slot.
    started.at = new Date();
    const sending = transport.send(outbound);
    // The slot is held until the adapter is really done, even if the backstop gave up first, and
    // after a failure until the breaker has counted it: the next message waiting for this slot
    // checks heldBack() only then, so it does not connect to a provider that just opened.
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
      // Sent or failed, the transport's send time sizes its tenant's claims (TenantSlots).
      this.tenants.sendTook(transport, Date.now() - started.at.getTime());
    }
  }

  /** One attempt through `route`: sent, or handed to the failure policy. */
  private async attempt(
    message: PlannedMessage,
    route: Route,
    deadlines: Deadlines,
    ticket: CircuitTicket | null = null,
  ): Promise<void> {
    const { transport, fallbackReason } = route;
    if (fallbackReason !== null) {
      this.metrics.fellBack(fallbackReason.kind);
    }
    const started = { at: new Date() };
    let result: SendResult;
    let recordFailure: () => void = () => undefined;
    const failureRecorded = new Promise<void>((resolve) => (recordFailure = resolve));
    try {
      const sending = await this.send(
        transport,
        message,
        deadlines,
        ticket,
        failureRecorded,
        started,
      );
      if (sending === null) {
        await this.breaker.released(ticket);
        await this.withdraw(message, transport);
        return;
      }
      if ('heldUntil' in sending) {
        // The circuit opened while this message waited for a connection: back to the queue.
        await this.books.heldBack(message, sending.heldUntil);
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
      await this.handleFailure(message, transport.name, route, started.at, failure);
      return;
    }
    const startedAt = started.at;
    await this.breaker.succeeded(ticket);
    // Per recipient: accepted ones sent, 5xx ones bounced, 4xx ones retried alone.
    const sent = sentOutcome(message.plan.attempt, result, {
      transport: transport.name,
      providerMessageId: result.providerMessageId,
      retrying: canRetry(message.attempt, this.env),
    });
    const decision = decideSent(sent, message.attempt, this.env);
    if (decision.outcome === 'sent') {
      this.metrics.attemptSucceeded(transport.name, secondsSince(startedAt));
    } else {
      this.metrics.attemptFailed(
        transport.name,
        decision.outcome,
        'rejected',
        secondsSince(startedAt),
      );
    }
    const outcome = mergeOutcomes(message.plan.outcome, sent);
    await this.books.sent(
      message,
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
        retryAt: decision.retryAt,
        attemptOutcome: decision.outcome,
      },
    );
    this.metrics.eventsWritten(outcome.events);
  }

  /**
   * A failed attempt (`transport` null: none could be resolved): the failure policy decides, then
   * the attempt is counted and recorded, and the built-in mailer sends if the policy falls back.
   */
  private async handleFailure(
    message: PlannedMessage,
    transport: string | null,
    route: Pick<Route, 'fallbackReason' | 'fallbackOnFailure' | 'configVersion'>,
    startedAt: Date,
    error: DeliveryError,
  ): Promise<void> {
    const attempt = {
      transport,
      configVersion: route.configVersion,
      startedAt,
      durationMs: Date.now() - startedAt.getTime(),
    };
    this.log.warn(
      {
        messageId: message.id,
        attempt: message.attempt,
        transport,
        error: storedError(error),
      },
      'send failed',
    );
    const decision = decideFailure(
      error,
      {
        attempt: message.attempt,
        fallbackOnFailure: route.fallbackOnFailure,
        fellBack: route.fallbackReason !== null,
      },
      this.env,
    );
    this.metrics.attemptFailed(
      transport,
      decision.outcome,
      error.errorClass,
      attempt.durationMs / 1000,
    );
    if (decision.outcome === 'fallback') {
      await this.books.failedBeforeFallback(message, attempt, error);
      await this.sendViaBuiltin(message, decision.reason);
      return;
    }
    const retryAt = decision.outcome === 'retry' ? decision.retryAt : null;
    const outcome = mergeOutcomes(
      message.plan.outcome,
      failureOutcome(message.plan.attempt, error, transport, retryAt),
    );
    await this.books.failed(message, attempt, error, retryAt, route.fallbackReason, outcome);
    this.metrics.eventsWritten(outcome.events);
  }

  private async sendViaBuiltin(message: PlannedMessage, reason: FallbackReason): Promise<void> {
    const { leaseMs } = this.env;
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
    await this.books.deferred(message, deferral.until, {
      transport: route.transport.name,
      reason: 'rate_limit',
      message:
        deferral.limit === 'perDay'
          ? `Daily send limit reached (rateLimit.perDay ${limit}, UTC day): waits for the next day`
          : `Send rate reached (rateLimit.perSecond ${limit}): waits for a free slot`,
    });
  }

  /**
   * No send slot came before the message's start deadline (or the replica is shutting down): it
   * never left this process, so it goes back to the queue as it was (its attempt not spent), due
   * again at once.
   */
  private async withdraw(message: PlannedMessage, transport: MailTransport): Promise<void> {
    this.metrics.withdrawn(transport.name);
    this.log.info(
      { messageId: message.id, transport: transport.name },
      'send withdrawn before it started: no free slot by its start deadline, or shutdown',
    );
    await this.books.withdrawn(message);
  }
}
