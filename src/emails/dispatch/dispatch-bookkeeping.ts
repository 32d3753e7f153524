import type { Logger } from 'pino';
import type { DeliveryError } from '../../transports/delivery-error';
import type {
  AttemptRecord,
  EmailDispatchRepository,
  StoredError,
} from '../email-dispatch.repository';
import type { FallbackReason } from '../fallback-reason';
import type { Outcome } from '../recipient-outcomes';
import { untilLeaseEnds } from '../scheduling/until-lease-ends';
import type { PlannedMessage } from './outbound';

export function storedError(error: DeliveryError): StoredError {
  return {
    class: error.errorClass,
    code: error.code,
    status: error.status,
    message: error.message,
  };
}

/** Stored as data (jsonb `{ kind, detail }`); the API renders the text. */
function reasonData(reason: FallbackReason | null): string | null {
  return reason === null ? null : JSON.stringify(reason);
}

/**
 * The outbox writes for the messages this worker claimed, fenced on its lease (`workerId`). The
 * writes after a send are retried through a short database outage (a restart, a failover) until
 * the lease ends, so a message the provider took is recorded, not sent again.
 */
export class DispatchBookkeeping {
  constructor(
    private readonly repo: EmailDispatchRepository,
    private readonly workerId: string,
    private readonly log: Logger,
  ) {}

  /** Nobody left to send to (every remaining recipient suppressed): final without an attempt. */
  finishWithoutAttempt(message: PlannedMessage, outcome: Outcome): Promise<void> {
    return this.durably(message, () =>
      this.repo.finishWithoutAttempt(message, this.workerId, outcome),
    );
  }

  /** The provider took the message (some recipients may be deferred or refused: `outcome`). */
  sent(
    message: PlannedMessage,
    attempt: AttemptRecord,
    result: {
      providerMessageId: string | null;
      capturedMime?: string;
      fallbackReason: FallbackReason | null;
      outcome: Outcome;
      retryAt: Date | null;
      attemptOutcome: 'sent' | 'retry' | 'failed';
    },
  ): Promise<void> {
    return this.durably(message, () =>
      this.repo.markSent(message, attempt, {
        ...result,
        fallbackReason: reasonData(result.fallbackReason),
      }),
    );
  }

  /** A failed attempt: the message retries at `retryAt`, or fails (null). */
  failed(
    message: PlannedMessage,
    attempt: AttemptRecord,
    error: DeliveryError,
    retryAt: Date | null,
    fallbackReason: FallbackReason | null,
    outcome: Outcome,
  ): Promise<void> {
    return this.durably(message, () =>
      this.repo.markAttemptFailed(
        message,
        this.workerId,
        attempt,
        storedError(error),
        retryAt,
        reasonData(fallbackReason),
        outcome,
      ),
    );
  }

  /** The provider's failed attempt before the built-in mailer takes the message over. */
  failedBeforeFallback(
    message: PlannedMessage,
    attempt: AttemptRecord,
    error: DeliveryError,
  ): Promise<void> {
    return this.durably(message, () =>
      this.repo.recordAttempt(message, message.attempt, attempt, storedError(error)),
    );
  }

  /** Back to the queue until `until`, its attempt unspent, with a `deferred` attempt saying why. */
  deferred(
    message: PlannedMessage,
    until: Date,
    attempt: { transport: string; reason: string; message: string },
  ): Promise<void> {
    return this.durably(message, () => this.repo.defer(message, this.workerId, until, attempt));
  }

  /** It never left this process: back to the queue as it was, due again at once. */
  withdrawn(message: PlannedMessage): Promise<void> {
    return this.durably(message, () => this.repo.unclaim(message, this.workerId, new Date()));
  }

  /** The circuit opened while it waited for a connection: back to the queue, due at `until`. */
  heldBack(message: PlannedMessage, until: Date): Promise<void> {
    return this.durably(message, () => this.repo.unclaim(message, this.workerId, until));
  }

  /** Held back by the scheduler before any send: back to the queue, due at `notBefore` (one try). */
  held(message: PlannedMessage, notBefore: Date): Promise<void> {
    return this.repo.unclaim(message, this.workerId, notBefore);
  }

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
