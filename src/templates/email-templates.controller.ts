import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiGenAuth, BODY_ERRORS } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiAuthenticated, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import type {
  EmailTemplateDto,
  EmailTemplateHistoryDto,
  GetEmailTemplatesDataDto,
  PreviewEmailTemplateDataDto,
} from './dto/email-template.dto';
import { EmailTemplateHistoryQueryDto } from './dto/email-template-history-query.dto';
import { GetEmailTemplatesQueryDto } from './dto/get-email-templates-query.dto';
import { PreviewEmailTemplateDto } from './dto/preview-email-template.dto';
import { UpdateEmailTemplateDto } from './dto/update-email-template.dto';
import { EmailTemplatesService } from './email-templates.service';

/**
 * GenAuth's email template routes, as authing-node-sdk's getEmailTemplates, updateEmailTemplate
 * and previewEmailTemplate call them. POSTs answer 200, as GenAuth.
 */
@ApiTags('Email templates')
@ApiAuthenticated()
@Controller('api/v3')
export class EmailTemplatesController {
  constructor(private readonly service: EmailTemplatesService) {}

  @Get('get-email-templates')
  @RequireScopes('provider:read')
  @ApiOperation({
    summary:
      'All 15 template types (the saved template, else the default) and their categories (scope provider:read)',
  })
  @ApiGenAuth({
    data: ref('EmailTemplates'),
    description: 'Templates and categories',
    errors: { 400: 'Bad locale or defaults' },
  })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: GetEmailTemplatesQueryDto,
  ): Promise<GetEmailTemplatesDataDto> {
    return this.service.list(principal.tenantId, query);
  }

  @Post('update-email-template')
  @HttpCode(200)
  @RequireScopes('provider:write')
  @ApiOperation({
    summary:
      "Save the tenant's template of one type: compiled and checked first, audited (scope provider:write)",
  })
  @ApiGenAuth({
    data: ref('EmailTemplate'),
    description: 'The saved template',
    errors: {
      ...BODY_ERRORS,
      400: 'Validation failed: every failing field named; a template that does not compile with its line and column; an unknown variable by name; tplEngine "ejs"; content over 256 KiB',
    },
  })
  update(
    @CurrentPrincipal() principal: Principal,
    @Body() body: UpdateEmailTemplateDto,
  ): Promise<EmailTemplateDto> {
    return this.service.update(principal, body);
  }

  /**
   * mailgate's, beside GenAuth's routes as email-provider-history is beside the provider's: same
   * prefix, envelope, scope and keyset paging, so one client reads both trails the same way.
   */
  @Get('email-template-history')
  @RequireScopes('provider:read')
  @ApiOperation({
    summary:
      'Audit trail of template saves, newest first, optionally of one type; content as size and SHA-256, never the text (scope provider:read)',
  })
  @ApiGenAuth({
    data: ref('EmailTemplateHistory'),
    description: 'One page',
    errors: { 400: 'Bad type, limit or cursor' },
  })
  history(
    @CurrentPrincipal() principal: Principal,
    @Query() query: EmailTemplateHistoryQueryDto,
  ): Promise<EmailTemplateHistoryDto> {
    return this.service.history(principal.tenantId, query);
  }

  /** Read-only: renders, saves nothing, so provider:read suffices (a viewer can preview). */
  @Post('preview-email-template')
  @HttpCode(200)
  @RequireScopes('provider:read')
  @ApiOperation({
    summary:
      'Render the saved template, or an unsaved edit in the body, with sample values (scope provider:read)',
  })
  @ApiGenAuth({
    data: ref('EmailTemplatePreview'),
    description: 'The rendered content (HTML), subject and sender',
    errors: { ...BODY_ERRORS, 400: 'As update-email-template' },
  })
  preview(
    @CurrentPrincipal() principal: Principal,
    @Body() body: PreviewEmailTemplateDto,
  ): Promise<PreviewEmailTemplateDataDto> {
    return this.service.preview(principal.tenantId, body);
  }
}
