import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { APP_ENV } from '../config/app-env.constants';
import { DatabaseModule } from '../config/database.module';
import type { AppEnv } from '../config/env';
import { ApiKeyCache } from './api-key-cache';
import { ApiKeySecretHasher } from './api-key-secrets';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthGuard } from './auth.guard';
import { AuthNoncesRepository } from './auth-nonces.repository';
import { AuthenticatorService } from './authenticator.service';
import { ApiKeyRateLimit, AuthFailureThrottle } from './rate-limits';
import { API_KEY_CACHE_TTL_MS, DEFAULT_API_KEY_CACHE_TTL_MS } from './tenancy.constants';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

/**
 * Tenants, API keys and authentication. Provides the global AuthGuard (every route needs a key
 * unless @Public()) with its rate limits, and exports TenantsService for modules that write
 * tenant-owned rows.
 */
@Module({
  imports: [DatabaseModule],
  controllers: [ApiKeysController],
  providers: [
    TenantsRepository,
    ApiKeysRepository,
    AuthNoncesRepository,
    TenantsService,
    ApiKeysService,
    AuthenticatorService,
    {
      provide: ApiKeySecretHasher,
      useFactory: (env: AppEnv) => new ApiKeySecretHasher(env.app.secretKeys),
      inject: [APP_ENV],
    },
    {
      // API_KEY_CACHE_TTL_MS is optional: provide it (e.g. globally) to change the 5 s window.
      provide: ApiKeyCache,
      useFactory: (ttlMs?: number) =>
        new ApiKeyCache({ ttlMs: ttlMs ?? DEFAULT_API_KEY_CACHE_TTL_MS }),
      inject: [{ token: API_KEY_CACHE_TTL_MS, optional: true }],
    },
    AuthFailureThrottle,
    ApiKeyRateLimit,
    // One global guard: failed-auth throttle, authentication, scopes, per-key rate limit.
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TenantsService],
})
export class TenancyModule {}
