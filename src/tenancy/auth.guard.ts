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
import type { Scope } from './scope.enum';

/**
 * Global guard (APP_GUARD): every route needs an API key unless marked @Public(). The key must
 * hold every scope of @RequireScopes() (method-level replaces class-level); the resolved
 * Principal is stored on the request under PRINCIPAL_KEY for @CurrentPrincipal().
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: AuthenticatorService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = await this.authenticator.authenticate(request);
    const required =
      this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets) ?? [];
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      throw new AppException(
        ApiCode.MissingScope,
        `This API key lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        { missingScopes: missing },
      );
    }
    request[PRINCIPAL_KEY] = principal;
    return true;
  }
}
