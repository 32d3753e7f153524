/**
 * Why the built-in mailer sends a message instead of the tenant's provider (README "Fallback"):
 * data in the dispatcher and the metrics; text only where it is stored and shown.
 */
export type FallbackReason =
  | { kind: 'no_provider' }
  | { kind: 'provider_disabled' }
  /** `detail`: the failed attempt's error code, or `circuit open` (CircuitBreaker). */
  | { kind: 'provider_auth_failed'; detail: string }
  /** `detail`: the error code of the last attempt through the provider. */
  | { kind: 'provider_retries_exhausted'; detail: string };

/**
 * What `email_messages.fallback_reason` holds (jsonb): a reason as data, or `legacy` for text that
 * an older version stored and the migration could not read back.
 */
export type StoredFallbackReason = FallbackReason | { kind: 'legacy'; detail: string };

/** The text the API shows as `fallbackReason`, rendered only there. */
export function fallbackReasonText(reason: StoredFallbackReason): string {
  switch (reason.kind) {
    case 'legacy':
      return reason.detail;
    case 'no_provider':
      return 'no provider configured';
    case 'provider_disabled':
      return 'provider disabled';
    case 'provider_auth_failed':
      return `provider authentication failed (${reason.detail})`;
    case 'provider_retries_exhausted':
      return `provider retries exhausted (${reason.detail})`;
  }
}
