import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  ApiEnvelope,
  ApiErrors,
  ApiPageQuery,
  BODY_ERRORS,
} from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiV1Routes, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import {
  MAX_SUPPRESSIONS_PAGE,
  SuppressionsService,
  type SuppressionView,
} from './suppressions.service';

@ApiV1Routes('Suppressions')
@Controller('v1/suppressions')
export class SuppressionsController {
  constructor(private readonly suppressions: SuppressionsService) {}

  @Get()
  @RequireScopes('email:read')
  @ApiOperation({ summary: "The tenant's suppressed addresses, by address (scope email:read)" })
  @ApiQuery({
    name: 'email',
    required: false,
    description:
      'Only addresses containing this text (any case); a full address matches however its domain is written.',
  })
  @ApiPageQuery(MAX_SUPPRESSIONS_PAGE)
  @ApiEnvelope(200, ref('SuppressionList'), 'One page')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, string>,
  ): ReturnType<SuppressionsService['list']> {
    return this.suppressions.list(principal, query);
  }

  @Post()
  @HttpCode(201)
  @RequireScopes('provider:write')
  @ApiOperation({
    summary: 'Suppress an address: messages to it are not attempted (scope provider:write)',
  })
  @ApiBody({ schema: ref('SuppressionRequest') })
  @ApiEnvelope(201, ref('Suppression'), 'Added')
  @ApiEnvelope(200, ref('Suppression'), 'Already suppressed (unchanged)')
  @ApiErrors(BODY_ERRORS)
  async add(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SuppressionView> {
    const { suppression, created } = await this.suppressions.add(principal, body);
    if (!created) {
      void reply.status(200);
    }
    return suppression;
  }

  @Delete(':email')
  @RequireScopes('provider:write')
  @ApiOperation({ summary: 'Remove an address from the list (scope provider:write)' })
  @ApiParam({ name: 'email', description: 'The address, URL-encoded' })
  @ApiEnvelope(200, ref('Suppression'), 'Removed; the next message to it is sent')
  @ApiErrors({ 404: 'The address is not suppressed' })
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('email') email: string,
  ): Promise<SuppressionView> {
    return this.suppressions.remove(principal, email);
  }
}
