import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
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
import { EmailsService, parsePreferWait, type AcceptedEmail } from './emails.service';
import type { EmailView } from './email-view';
import { EMAIL_STATUSES } from './email-status.enum';

@ApiV1Routes('Emails')
@Controller('v1/emails')
export class EmailsController {
  constructor(private readonly emails: EmailsService) {}

  /** 202 once the row is committed; 200 for an idempotent replay or when `Prefer: wait` saw it finish. */
  @Post()
  @HttpCode(202)
  @RequireScopes('email:send')
  @ApiOperation({ summary: 'Accept one message (scope email:send)' })
  @ApiBody({ schema: ref('EmailRequest') })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Same key + same tenant: the first message, never a second one (1-255 printable ASCII).',
  })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description:
      'RFC 7240 `wait=N` (N ≤ 30): wait up to N s for sent/failed and answer 200 with the message.',
  })
  @ApiEnvelope(202, ref('AcceptedEmail'), 'Stored in the outbox (status queued)')
  @ApiEnvelope(
    200,
    { oneOf: [ref('AcceptedEmail'), ref('Email')] },
    'An idempotent replay (header idempotent-replayed: true), or the final message when `Prefer: wait` saw it finish',
  )
  @ApiErrors(BODY_ERRORS, {
    409: 'Idempotency-Key already used with a different body (data.id is the first message)',
    413: 'Body or rendered message larger than MAX_MESSAGE_BYTES',
  })
  async send(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AcceptedEmail | EmailView> {
    const { email, replayed } = await this.emails.accept(principal, body, idempotencyKey);
    if (replayed) {
      void reply.status(200).header('idempotent-replayed', 'true');
    }
    const wait = parsePreferWait(prefer);
    if (wait !== undefined && wait > 0) {
      void reply.header('preference-applied', `wait=${wait}`);
      const final = await this.emails.waitForFinal(principal, email.id, wait);
      if (final !== null) {
        void reply.status(200);
        return final;
      }
    }
    return email;
  }

  @Post('batch')
  @HttpCode(202)
  @RequireScopes('email:send')
  @ApiOperation({ summary: 'Accept up to 500 messages in one transaction (scope email:send)' })
  @ApiBody({ schema: ref('EmailBatchRequest') })
  @ApiEnvelope(
    202,
    ref('EmailBatchResult'),
    'The valid messages are queued; each invalid one is named with its errors',
  )
  @ApiErrors(BODY_ERRORS, {
    400: 'Not 1-500 messages, an unknown field, or no valid message at all',
  })
  batch(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
  ): ReturnType<EmailsService['acceptBatch']> {
    return this.emails.acceptBatch(principal, body);
  }

  @Get()
  @RequireScopes('email:read')
  @ApiOperation({ summary: "List the tenant's messages, newest first (scope email:read)" })
  @ApiQuery({ name: 'status', required: false, enum: [...EMAIL_STATUSES] })
  @ApiPageQuery()
  @ApiEnvelope(200, ref('EmailList'), 'One page')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: Record<string, string>,
  ): ReturnType<EmailsService['list']> {
    return this.emails.list(principal, query);
  }

  @Get(':id')
  @RequireScopes('email:read')
  @ApiOperation({ summary: 'One message with its attempts (scope email:read)' })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiEnvelope(200, ref('Email'), 'The message')
  @ApiErrors({ 404: 'No such message for this tenant' })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<EmailView> {
    return this.emails.get(principal, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @RequireScopes('email:send')
  @ApiOperation({
    summary: 'Requeue a failed message with a fresh attempt budget (scope email:send)',
  })
  @ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' } })
  @ApiEnvelope(202, ref('AcceptedEmail'), 'Queued again')
  @ApiErrors({
    404: 'No such message for this tenant',
    409: 'Only a failed message can be retried',
  })
  retry(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<AcceptedEmail> {
    return this.emails.retry(principal, id);
  }
}
