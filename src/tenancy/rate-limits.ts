import { Inject, Injectable } from '@nestjs/common';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import { TokenBuckets } from '../common/rate-limit/token-buckets';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import type { Principal } from './principal';

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

const PRESENTED_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** The key id an Authorization header names (Bearer `<id>.<secret>`, `authing <id>:<sig>`), else `-`. */
export function presentedKeyId(authorization: string | string[] | undefined): string {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = /^\s*(bearer|authing)\s+([^\s.:]+)[.:]/i.exec(value ?? '');
  return match !== null && PRESENTED_ID_RE.test(match[2]) ? match[2] : '-';
}

/**
 * Throttles failed authentication (and authorization) per client IP and presented key id, so
 * guessing one key's secret is slowed to MAILGATE_AUTH_FAILURE_RPS while other keys behind the
 * same IP (a NAT, a proxy) keep working. A request is refused with 429 only while its bucket is
 * empty; each failed one takes a token. Per replica, in memory.
 */
@Injectable()
export class AuthFailureThrottle {
  private readonly buckets?: TokenBuckets;

  constructor(@Inject(APP_ENV) env: AppEnv) {
    const { authFailureRps, authFailureBurst } = env.rateLimit;
    this.buckets =
      authFailureRps > 0
        ? new TokenBuckets({ ratePerSecond: authFailureRps, capacity: authFailureBurst })
        : undefined;
  }

  /** Refuses a client whose failure budget is spent; else the key its failure will be counted under. */
  admit(ip: string, authorization: string | string[] | undefined): string | undefined {
    if (this.buckets === undefined) {
      return undefined;
    }
    const key = `${ip}|${presentedKeyId(authorization)}`;
    const state = this.buckets.peek(key);
    if (!state.allowed) {
      throw rateLimitedException(
        state.retryAfterMs,
        'Too many failed authentications from this client',
      );
    }
    return key;
  }

  failed(key: string | undefined): void {
    if (key !== undefined) {
      this.buckets?.take(key);
    }
  }
}

/**
 * A token bucket per API key id (the root key has its own), MAILGATE_RATE_LIMIT_RPS sustained
 * and MAILGATE_RATE_LIMIT_BURST at once. Buckets live in this replica's memory, so N replicas
 * allow N times the rate.
 */
@Injectable()
export class ApiKeyRateLimit {
  private readonly buckets?: TokenBuckets;
  private readonly limit: { rps: number; burst: number };

  constructor(@Inject(APP_ENV) env: AppEnv) {
    const { rps, burst } = env.rateLimit;
    this.limit = { rps, burst };
    this.buckets = rps > 0 ? new TokenBuckets({ ratePerSecond: rps, capacity: burst }) : undefined;
  }

  take(principal: Principal): void {
    const result = this.buckets?.take(principal.keyId);
    if (result !== undefined && !result.allowed) {
      throw rateLimitedException(
        result.retryAfterMs,
        `Rate limit of this API key exceeded (${this.limit.rps} requests/s, bursts of ${this.limit.burst})`,
        { limitPerSecond: this.limit.rps, burst: this.limit.burst },
      );
    }
  }
}
