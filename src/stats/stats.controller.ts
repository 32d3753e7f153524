import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { ApiEnvelope, ApiErrors } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiV1Routes, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import { StatsService, type StatsView, type TenantOverview } from './stats.service';

@ApiV1Routes('Stats')
@Controller('v1/stats')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get()
  @RequireScopes('email:read')
  @ApiOperation({
    summary:
      "The tenant's overview: outcomes per minute/hour, queue, latency, provider, top errors",
  })
  @ApiQuery({ name: 'window', required: false, enum: ['1h', '24h'] })
  @ApiEnvelope(200, ref('Stats'), 'The overview')
  @ApiErrors({ 400: 'Unknown window or query parameter' })
  overview(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, string>,
  ): Promise<StatsView> {
    return this.stats.overview(principal, this.stats.parseQuery(query));
  }

  @Get('tenants')
  @ApiOperation({ summary: 'Every tenant: queue and last hour, trouble first (root key only)' })
  @ApiEnvelope(200, { type: 'array', items: ref('TenantOverview') }, 'One row per tenant')
  @ApiErrors({ 403: 'Not the root key' })
  tenants(@CurrentPrincipal() principal: Principal): Promise<TenantOverview[]> {
    return this.stats.tenants(principal);
  }
}
