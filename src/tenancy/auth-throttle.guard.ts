import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TokenBuckets } from '../common/rate-limit/token-buckets';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { PRINCIPAL_KEY, PUBLIC_ROUTE, type AuthenticatedRequest } from './auth.decorators';
import { rateLimitedException } from './rate-limit.guard';

const PRESENTED_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** The key id an Authorization header names (Bearer `<id>.<secret>`, `authing <id>:<sig>`), else `-`. */
export function presentedKeyId(authorization: string | string[] | undefined): string {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  const match = /^\s*(bearer|authing)\s+([^\s.:]+)[.:]/i.exec(value ?? '');
  return match !== null && PRESENTED_ID_RE.test(match[2]) ? match[2] : '-';
}

/**
 * Global guard registered before AuthGuard: throttles failed authentication (and authorization)
 * per client IP and presented key id, so guessing one key's secret is slowed to
 * MAILGATE_AUTH_FAILURE_RPS while other keys behind the same IP (a NAT, a proxy) keep working.
 * A request is refused with 429 only while its bucket is empty; each request that ends without
 * an authenticated principal takes one token. Per replica, in memory; public routes are exempt.
 */
@Injectable()
export class AuthThrottleGuard implements CanActivate {
  private readonly buckets?: TokenBuckets;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_ENV) env: AppEnv,
  ) {
    const { authFailureRps, authFailureBurst } = env.rateLimit;
    this.buckets =
      authFailureRps > 0
        ? new TokenBuckets({ ratePerSecond: authFailureRps, capacity: authFailureBurst })
        : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const buckets = this.buckets;
    const targets = [context.getHandler(), context.getClass()];
    if (
      buckets === undefined ||
      this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true
    ) {
      return true;
    }
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & AuthenticatedRequest>();
    const reply = http.getResponse<FastifyReply>();
    const key = `${request.ip}|${presentedKeyId(request.headers.authorization)}`;
    const state = buckets.peek(key);
    if (!state.allowed) {
      throw rateLimitedException(
        state.retryAfterMs,
        'Too many failed authentications from this client',
      );
    }
    // Guards that follow (AuthGuard) may throw; the outcome is known once the answer is out.
    reply.raw.once('close', () => {
      if (request[PRINCIPAL_KEY] === undefined) {
        buckets.take(key);
      }
    });
    return true;
  }
}
