import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiEnvelope, ApiErrors, ApiPageQuery } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiV1Routes, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import { EmailEventsService, MAX_EVENTS_PAGE } from './email-events.service';

@ApiV1Routes('Emails')
@Controller('v1/emails')
export class EmailEventsController {
  constructor(private readonly events: EmailEventsService) {}

  @Get(':id/events')
  @RequireScopes('email:read')
  @ApiOperation({ summary: "A message's event timeline, oldest first (scope email:read)" })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiPageQuery(MAX_EVENTS_PAGE, 100)
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
