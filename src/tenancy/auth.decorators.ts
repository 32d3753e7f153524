import {
  applyDecorators,
  createParamDecorator,
  SetMetadata,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AppException } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';
import { ApiErrors, AUTH_ERRORS } from '../common/openapi/api-responses.decorators';
import type { Principal } from './principal';
import type { Scope } from './scope.enum';
import { TENANT_HEADER } from './tenancy.constants';

export const PUBLIC_ROUTE = 'mailgate:public';
export const REQUIRED_SCOPES = 'mailgate:scopes';

/** No API key needed (probes, metrics, docs, console assets). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The key must carry every listed scope (the root key carries all). */
export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES, scopes);

/** Request property the auth guard stores the resolved principal under. */
export const PRINCIPAL_KEY = 'mailgatePrincipal';

export type AuthenticatedRequest = FastifyRequest & { [PRINCIPAL_KEY]?: Principal };

/** The caller resolved by the auth guard; a route without it is a bug, answered as 401. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal => {
    const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>()[PRINCIPAL_KEY];
    if (principal === undefined) {
      throw new AppException(ApiCode.Unauthenticated, 'Missing API key');
    }
    return principal;
  },
);

/** Security scheme names of the OpenAPI document (docs/openapi.document.ts declares them). */
export const BEARER_SCHEME = 'bearer';
export const AUTHING_SCHEME = 'authing';

/** The route needs an API key: `Authorization: Bearer <id>.<secret>` or GenAuth's signature. */
export function ApiAuthenticated(): ClassDecorator & MethodDecorator {
  return applyDecorators(
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(AUTHING_SCHEME),
    ApiHeader({
      name: TENANT_HEADER,
      required: false,
      description: 'Root key only (and required with it): the tenant to act on.',
    }),
  );
}

/** A `/v1` controller under an API key: its tag, the auth it takes and the errors it can answer. */
export function ApiV1Routes(tag: string): ClassDecorator {
  return applyDecorators(ApiTags(tag), ApiAuthenticated(), ApiErrors(AUTH_ERRORS));
}
