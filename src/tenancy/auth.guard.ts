import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiCode } from '../common/api-code.enum';
import { AppException } from '../common/app.exception';
import {
  PRINCIPAL_KEY,
  PUBLIC_ROUTE,
  REQUIRED_SCOPES,
  type AuthenticatedRequest,
} from './auth.decorators';
import { AuthenticatorService } from './authenticator.service';
import type { Principal } from './principal';
import { ApiKeyRateLimit, AuthFailureThrottle } from './rate-limits';
import type { Scope } from './scope.enum';

interface RouteAccess {
  public: boolean;
  scopes: Scope[];
}

/**
 * The one global guard (APP_GUARD): every route needs an API key unless marked @Public(). In
 * order: the failed-authentication throttle, the key itself, every scope of @RequireScopes()
 * (method-level replaces class-level), then the key's rate limit. The resolved Principal is
 * stored on the request under PRINCIPAL_KEY for @CurrentPrincipal(). One guard rather than three:
 * each guard costs Nest a pipeline step per request (bench/README.md).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  /** Route metadata never changes after start: read it once per handler. */
  private readonly access = new WeakMap<object, RouteAccess>();

  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: AuthenticatorService,
    private readonly throttle: AuthFailureThrottle,
    private readonly rateLimit: ApiKeyRateLimit,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = this.accessOf(context);
    if (access.public) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const throttleKey = this.throttle.admit(request.ip, request.headers.authorization);
    let principal: Principal;
    try {
      principal = await this.authenticator.authenticate(request);
      const missing = access.scopes.filter((scope) => !principal.scopes.includes(scope));
      if (missing.length > 0) {
        throw new AppException(
          ApiCode.MissingScope,
          `This API key lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
          { missingScopes: missing },
        );
      }
    } catch (error) {
      this.throttle.failed(throttleKey);
      throw error;
    }
    request[PRINCIPAL_KEY] = principal;
    this.rateLimit.take(principal);
    return true;
  }

  private accessOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    let access = this.access.get(handler);
    if (access === undefined) {
      const targets = [handler, context.getClass()];
      access = {
        public:
          this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true,
        scopes:
          this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets) ?? [],
      };
      this.access.set(handler, access);
    }
    return access;
  }
}
