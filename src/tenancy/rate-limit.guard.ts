import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { TokenBuckets } from '../common/rate-limit/token-buckets';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { PRINCIPAL_KEY, type AuthenticatedRequest } from './auth.decorators';

/** The envelope's 429 with `Retry-After` in whole seconds (at least 1). */
export function rateLimitedException(
  retryAfterMs: number,
  message: string,
  data: Record<string, unknown> = {},
): AppException {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppException(
    ApiCode.RateLimited,
    `${message}; retry after ${seconds} s`,
    { ...data, retryAfterSeconds: seconds },
    { 'retry-after': String(seconds) },
  );
}

/**
 * Global guard registered after AuthGuard: a token bucket per API key id (the root key has its
 * own), MAILGATE_RATE_LIMIT_RPS sustained and MAILGATE_RATE_LIMIT_BURST at once. Buckets live in
 * this replica's memory, so N replicas allow N times the rate; public routes are not limited.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets?: TokenBuckets;
  private readonly limit: { rps: number; burst: number };

  constructor(@Inject(APP_ENV) env: AppEnv) {
    const { rps, burst } = env.rateLimit;
    this.limit = { rps, burst };
    this.buckets = rps > 0 ? new TokenBuckets({ ratePerSecond: rps, capacity: burst }) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    // AuthGuard stored the caller; none means a @Public() route.
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>()[PRINCIPAL_KEY];
    if (this.buckets === undefined || principal === undefined) {
      return true;
    }
    const result = this.buckets.take(principal.keyId);
    if (!result.allowed) {
      throw rateLimitedException(
        result.retryAfterMs,
        `Rate limit of this API key exceeded (${this.limit.rps} requests/s, bursts of ${this.limit.burst})`,
        { limitPerSecond: this.limit.rps, burst: this.limit.burst },
      );
    }
    return true;
  }
}
