import { IsInt, IsNumber, IsOptional, Max, Min } from 'class-validator';
import { RATE_LIMIT_BOUNDS, type SendRateLimitSettings } from '../send-rate-limit';

const { perSecond, perDay } = RATE_LIMIT_BOUNDS;

/**
 * mailgate's `rateLimit` extension of the provider config, enforced across all replicas: over
 * it, messages wait queued (never failed, no attempt spent). A field left out or null is no limit.
 */
export class SendRateLimitDto implements SendRateLimitSettings {
  /** Messages per second, evenly paced; fractions (up to 2 decimals) for slower limits. */
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false, maxDecimalPlaces: 2 })
  @Min(perSecond.min)
  @Max(perSecond.max)
  perSecond?: number | null;

  /** Messages per calendar day, UTC. */
  @IsOptional()
  @IsInt()
  @Min(perDay.min)
  @Max(perDay.max)
  perDay?: number | null;
}
