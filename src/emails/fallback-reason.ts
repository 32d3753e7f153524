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

/** The text stored on the message (`fallback_reason`) and shown by the API as `fallbackReason`. */
export function fallbackReasonText(reason: FallbackReason): string {
  switch (reason.kind) {
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
