import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { ApiEnvelope, ApiErrors, BODY_ERRORS } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiKeysService } from './api-keys.service';
import { ApiV1Routes, CurrentPrincipal, RequireScopes } from './auth.decorators';
import type { ApiKeyDto, CreatedApiKeyDto, RevokedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import type { Principal } from './principal';

/** Key management for the caller's tenant: the root key (any tenant) or a provider:write key. */
@Controller('v1/api-keys')
@RequireScopes('provider:write')
@ApiV1Routes('API keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** 201; the answer carries the secret, shown this once only. */
  @Post()
  @ApiOperation({
    summary: 'Create a key; the answer carries its secret this once only (root or provider:write)',
  })
  @ApiEnvelope(201, ref('CreatedApiKey'), 'The new key with its secret and Bearer token')
  @ApiErrors(BODY_ERRORS, { 403: 'A key cannot grant scopes it does not hold' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateApiKeyDto,
  ): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "The tenant's keys, never their secrets" })
  @ApiEnvelope(200, { type: 'array', items: ref('ApiKey') }, 'The keys')
  list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyDto[]> {
    return this.apiKeys.list(principal);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a key (effective on every replica within 5 s)' })
  @ApiEnvelope(200, ref('RevokedApiKey'), 'Revoked')
  @ApiErrors({ 404: 'No such key for this tenant' })
  revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<RevokedApiKeyDto> {
    return this.apiKeys.revoke(principal, id);
  }
}
