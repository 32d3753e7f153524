/**
 * mailgate's `rateLimit` extension of the provider config: how fast the tenant's messages may be
 * sent, counted across all replicas (PostgreSQL). Messages over it wait queued; they never fail
 * and never spend an attempt for it (src/emails/scheduling/send-rate-gate.ts).
 */
export interface SendRateLimit {
  /**
   * Messages per second, paced evenly (one every 1/perSecond s, no burst); fractions allowed
   * (0.5 = one every 2 s) so per-minute limits can be expressed. Null: no per-second limit.
   */
  perSecond: number | null;
  /** Messages per calendar day in UTC (00:00–24:00 UTC). Null: no daily limit. */
  perDay: number | null;
}

/** What a tenant may send; absent or null fields mean "no limit of that kind". */
export interface SendRateLimitSettings {
  perSecond?: number | null;
  perDay?: number | null;
}

/**
 * Bounds: 1,000/s is more than one tenant's provider accepts from one sender (README, "Sending
 * limits"); 0.01/s (36 an hour) is slower than any limit the providers publish; 10 million a day
 * is above SendGrid's largest published plan.
 */
export const RATE_LIMIT_BOUNDS = {
  perSecond: { min: 0.01, max: 1000 },
  perDay: { min: 1, max: 10_000_000 },
} as const;

/**
 * The limit worth storing: null when nothing is limited, so "no limit" has one representation
 * (a read's `{ perSecond: null, perDay: null }` posted back is no change).
 */
export function storedRateLimit(
  settings: SendRateLimitSettings | null | undefined,
): SendRateLimit | null {
  const perSecond = settings?.perSecond ?? null;
  const perDay = settings?.perDay ?? null;
  return perSecond === null && perDay === null ? null : { perSecond, perDay };
}
