import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiEnvelope, ApiErrors, AUTH_ERRORS } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiAuthenticated, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import { EmailEventsService, MAX_EVENTS_PAGE } from './email-events.service';

@ApiTags('Emails')
@ApiAuthenticated()
@ApiErrors(AUTH_ERRORS)
@Controller('v1/emails')
export class EmailEventsController {
  constructor(private readonly events: EmailEventsService) {}

  @Get(':id/events')
  @RequireScopes('email:read')
  @ApiOperation({ summary: "A message's event timeline, oldest first (scope email:read)" })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiQuery({ name: 'cursor', required: false, description: '`nextCursor` of the previous page' })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: MAX_EVENTS_PAGE, default: 100 },
  })
  @ApiEnvelope(200, ref('EmailEventList'), 'One page of events')
  @ApiErrors({ 400: 'A bad cursor or limit', 404: 'No such message for this tenant' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: Record<string, string>,
  ): ReturnType<EmailEventsService['list']> {
    return this.events.list(principal, id, query);
  }
}
