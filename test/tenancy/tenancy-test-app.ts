import { Body, Controller, Get, Post, type Provider, type Type } from '@nestjs/common';
import { AppModule } from '../../src/app.module';
import { CurrentPrincipal, RequireScopes } from '../../src/tenancy/auth.decorators';
import type { Principal } from '../../src/tenancy/principal';
import { API_KEY_CACHE_TTL_MS } from '../../src/tenancy/tenancy.constants';
import { startTestApp, type TestApp, type TestAppOptions } from '../support/test-app';

/**
 * Test-side only: an /api/v3 route to observe GenAuth-style answers while the real /api/v3
 * routes are built elsewhere. Registered by startTenancyTestApp, never by production code.
 */
@Controller('api/v3/tenancy-probe')
export class GenAuthProbeController {
  @Get()
  @RequireScopes('provider:read')
  read(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }

  @Post()
  @RequireScopes('provider:write')
  write(@CurrentPrincipal() principal: Principal, @Body() body: unknown): unknown {
    return { principal, body };
  }
}

export interface TenancyTestAppOptions extends TestAppOptions {
  /** Overrides the key cache window through its injection token (API_KEY_CACHE_TTL_MS). */
  keyCacheTtlMs?: number;
  controllers?: Type[];
}

/**
 * startTestApp with extra providers/controllers added to the real AppModule (a global module, so
 * the optional API_KEY_CACHE_TTL_MS token reaches TenancyModule). Nothing else changes.
 */
export async function startTenancyTestApp(options: TenancyTestAppOptions = {}): Promise<TestApp> {
  const { keyCacheTtlMs, controllers = [], ...rest } = options;
  const register = AppModule.register.bind(AppModule);
  const spy = jest.spyOn(AppModule, 'register').mockImplementation((env, logger) => {
    const module = register(env, logger);
    const providers: Provider[] =
      keyCacheTtlMs === undefined
        ? []
        : [{ provide: API_KEY_CACHE_TTL_MS, useValue: keyCacheTtlMs }];
    return {
      ...module,
      controllers: [...(module.controllers ?? []), ...controllers],
      providers: [...(module.providers ?? []), ...providers],
      exports: [...(module.exports ?? []), ...providers.map(() => API_KEY_CACHE_TTL_MS)],
    };
  });
  try {
    return await startTestApp(rest);
  } finally {
    spy.mockRestore();
  }
}
