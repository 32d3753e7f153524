import { DeliveryError, type DeliveryErrorClass } from '../../transports/delivery-error';
import type { FallbackReason } from '../fallback-reason';
import { hasDeferred, type Outcome } from '../recipient-outcomes';

const MAX_BACKOFF_MS = 60 * 60 * 1000;

/** DISPATCH_MAX_ATTEMPTS and DISPATCH_RETRY_BASE_MS. */
export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
}

/** What a failed attempt means for its message (`outcome` is the attempt's metric outcome). */
export type FailureDecision =
  /** The provider is abandoned for this message: its attempt is recorded, the built-in mailer sends. */
  | { outcome: 'fallback'; reason: FallbackReason }
  /** Back to the queue, due again at `retryAt`. */
  | { outcome: 'retry'; retryAt: Date }
  /** Final: the message (its attempted recipients) failed or bounced. */
  | { outcome: 'failed' };

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

export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) {
    return error;
  }
  // Anything unclassified is retried: it was not the provider refusing the message.
  return new DeliveryError('transient', 'Unexpected error while sending', {
    code: 'UNEXPECTED',
    cause: error,
  });
}

/** transient/rate_limited/auth may succeed later; rejected and config never will. */
function retriable(errorClass: DeliveryErrorClass): boolean {
  switch (errorClass) {
    case 'transient':
    case 'rate_limited':
    case 'auth':
      return true;
    case 'rejected':
    case 'config':
      return false;
  }
}

/** Whether a later attempt remains after attempt number `attempt`. */
export function canRetry(attempt: number, policy: RetryPolicy): boolean {
  return attempt < policy.maxAttempts;
}

/**
 * The failure policy (README "Sending pipeline" 3 and 4), from the error class alone: with
 * fallbackOnFailure, an auth error or exhausted retries hand the message to the built-in mailer
 * (once: a route that is already the fallback fails like any other); else retriable errors retry
 * with backoff until the last attempt, and everything else fails.
 */
export function decideFailure(
  error: DeliveryError,
  context: {
    /** This attempt's number (1 for the first). */
    attempt: number;
    fallbackOnFailure: boolean;
    /** The route is already the built-in mailer sending instead of the provider. */
    fellBack: boolean;
  },
  policy: RetryPolicy,
  now = Date.now(),
  random = Math.random,
): FailureDecision {
  const canRetryLater = retriable(error.errorClass) && canRetry(context.attempt, policy);
  if (context.fallbackOnFailure && !context.fellBack) {
    if (error.errorClass === 'auth') {
      return { outcome: 'fallback', reason: { kind: 'provider_auth_failed', detail: error.code } };
    }
    if (retriable(error.errorClass) && !canRetryLater) {
      return {
        outcome: 'fallback',
        reason: { kind: 'provider_retries_exhausted', detail: error.code },
      };
    }
  }
  if (canRetryLater) {
    const wait = backoffMs(context.attempt, policy.retryBaseMs, error.retryAfterMs, random);
    return { outcome: 'retry', retryAt: new Date(now + wait) };
  }
  return { outcome: 'failed' };
}

/**
 * After the provider took the message (`sent`: its per-recipient outcome): `sent` when any
 * recipient was, else `retry` or `failed`; `retryAt` when some recipients were deferred (4xx).
 */
export function decideSent(
  sent: Outcome,
  attempt: number,
  policy: RetryPolicy,
  now = Date.now(),
  random = Math.random,
): { outcome: 'sent' | 'retry' | 'failed'; retryAt: Date | null } {
  const retryAt = hasDeferred(sent)
    ? new Date(now + backoffMs(attempt, policy.retryBaseMs, undefined, random))
    : null;
  const anySent = sent.events.some((event) => event.type === 'sent');
  return { outcome: anySent ? 'sent' : retryAt === null ? 'failed' : 'retry', retryAt };
}
