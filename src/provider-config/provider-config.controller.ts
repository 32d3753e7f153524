import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  CONFIG_EMAIL_PROVIDER_EXAMPLES,
  EMAIL_PROVIDER_RESPONSE_EXAMPLES,
} from './provider-config.api-examples';
import { ApiGenAuth, BODY_ERRORS } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiAuthenticated, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import { ConfigEmailProviderDto } from './dto/config-email-provider.dto';
import type {
  EmailProviderDto,
  EmailProviderHistoryDto,
  SendTestEmailResultDto,
  VerifyEmailProviderResultDto,
} from './dto/email-provider.dto';
import { EmailProviderHistoryQueryDto } from './dto/email-provider-history-query.dto';
import { VerifyEmailProviderDto } from './dto/provider-config-candidate.dto';
import { SendTestEmailDto } from './dto/send-test-email.dto';
import { ProviderConfigService } from './provider-config.service';

/**
 * GenAuth-compatible provider configuration routes (`authing-node-sdk`'s configEmailProvider and
 * getEmailProvider) plus mailgate's verify, test-send and history. POSTs answer 200, as GenAuth.
 */
@ApiTags('Provider config')
@ApiAuthenticated()
@Controller('api/v3')
export class ProviderConfigController {
  constructor(private readonly service: ProviderConfigService) {}

  @Post('config-email-provider')
  @HttpCode(200)
  @RequireScopes('provider:write')
  @ApiOperation({
    summary:
      "Save the tenant's email provider (GenAuth config_email_provider; scope provider:write)",
  })
  @ApiBody({ type: ConfigEmailProviderDto, examples: CONFIG_EMAIL_PROVIDER_EXAMPLES })
  @ApiGenAuth({
    data: ref('EmailProvider'),
    description: 'The saved config, secrets masked',
    examples: EMAIL_PROVIDER_RESPONSE_EXAMPLES,
    errors: {
      ...BODY_ERRORS,
      400: 'Validation failed (every failing field named), or a secret is required because the host, port or login changed',
      409: 'The config changed since `version` was read',
    },
  })
  configure(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ConfigEmailProviderDto,
  ): Promise<EmailProviderDto> {
    return this.service.configure(principal, body);
  }

  /** data is null while the tenant has no config (the built-in mailer is in use). */
  @Get('get-email-provider')
  @RequireScopes('provider:read')
  @ApiOperation({ summary: "The tenant's email provider, secrets masked (scope provider:read)" })
  @ApiGenAuth({
    data: ref('EmailProvider'),
    nullable: true,
    description: 'The config; data is null while none is saved (the built-in mailer sends)',
    errors: {},
  })
  get(@CurrentPrincipal() principal: Principal): Promise<EmailProviderDto | null> {
    return this.service.get(principal.tenantId);
  }

  @Get('email-provider-history')
  @RequireScopes('provider:read')
  @ApiOperation({
    summary: 'Audit trail of config changes, newest first, secrets redacted (scope provider:read)',
  })
  @ApiGenAuth({
    data: ref('EmailProviderHistory'),
    description: 'One page',
    errors: { 400: 'Bad limit or cursor' },
  })
  history(
    @CurrentPrincipal() principal: Principal,
    @Query() query: EmailProviderHistoryQueryDto,
  ): Promise<EmailProviderHistoryDto> {
    return this.service.history(principal.tenantId, query);
  }

  @Post('verify-email-provider')
  @HttpCode(200)
  @RequireScopes('provider:write')
  @ApiOperation({
    summary:
      'Connect and authenticate without sending: the saved config (empty body) or the one in the body (scope provider:write)',
  })
  @ApiGenAuth({
    data: ref('VerifyEmailProviderResult'),
    description: 'ok, or the classified provider error',
    errors: { ...BODY_ERRORS, 404: 'No saved config to verify' },
  })
  verify(
    @CurrentPrincipal() principal: Principal,
    @Body() body: VerifyEmailProviderDto,
  ): Promise<VerifyEmailProviderResultDto> {
    return this.service.verify(principal, body);
  }

  @Post('send-test-email')
  @HttpCode(200)
  @RequireScopes('provider:write')
  @ApiOperation({
    summary:
      'Send one real test message with the saved config or the one in the body (scope provider:write)',
  })
  @ApiGenAuth({
    data: ref('SendTestEmailResult'),
    description: 'ok with the provider message id, or the classified provider error',
    errors: { ...BODY_ERRORS, 404: 'No saved config to send with' },
  })
  sendTest(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SendTestEmailDto,
  ): Promise<SendTestEmailResultDto> {
    return this.service.sendTest(principal, body);
  }
}
