import { Body, Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiEnvelope, ApiErrors } from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { Public } from '../tenancy/auth.decorators';
import { ProviderEventsService } from './provider-events.service';
import type { ApplyResult } from './provider-events.repository';
import type { RawBodyRequest } from './raw-body';

@ApiTags('Provider events')
@Controller('v1/provider-events')
export class ProviderEventsController {
  constructor(private readonly events: ProviderEventsService) {}

  /** Public: SendGrid cannot hold an API key; its ECDSA signature is the authentication. */
  @Post('sendgrid/:tenantId')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary:
      "SendGrid's Signed Event Webhook for one tenant (no API key: verified with the tenant's sendGridConfig.webhookVerificationKey)",
  })
  @ApiParam({ name: 'tenantId', description: 'The tenant (GenAuth user pool id)' })
  @ApiHeader({ name: 'X-Twilio-Email-Event-Webhook-Signature', required: true })
  @ApiHeader({ name: 'X-Twilio-Email-Event-Webhook-Timestamp', required: true })
  @ApiBody({ schema: { type: 'array', items: { type: 'object' } } })
  @ApiEnvelope(200, ref('ProviderEventsResult'), 'Verified and applied (each sg_event_id once)')
  @ApiErrors({
    400: 'Not a JSON array of events',
    401: 'No or bad signature, or a timestamp more than 10 minutes off',
    403: 'No verification key configured for this tenant',
    413: true,
    415: true,
    429: true,
    500: true,
  })
  sendgrid(
    @Param('tenantId') tenantId: string,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Headers('x-twilio-email-event-webhook-signature') signature: string | undefined,
    @Headers('x-twilio-email-event-webhook-timestamp') timestamp: string | undefined,
  ): Promise<ApplyResult> {
    return this.events.ingestSendGrid(tenantId, {
      rawBody: (request as RawBodyRequest).rawBody,
      body,
      signature,
      timestamp,
    });
  }
}
