import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import {
  ApiEnvelope,
  ApiErrors,
  ApiPageQuery,
  BODY_ERRORS,
} from '../common/openapi/api-responses.decorators';
import { ref } from '../common/openapi/api-schemas';
import { ApiV1Routes, CurrentPrincipal, RequireScopes } from '../tenancy/auth.decorators';
import type { Principal } from '../tenancy/principal';
import { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import type {
  WebhookDeliveryDto,
  WebhookEndpointDto,
  WebhookEndpointWithSecretDto,
} from './dto/webhook-endpoint.dto';
import { WebhooksService } from './webhooks.service';

const ENDPOINT_ID = {
  name: 'id',
  schema: { type: 'string', example: 'ep_0123456789abcdef01234567' },
};

/** The tenant's webhook endpoints (Standard Webhooks); every route needs webhooks:write. */
@Controller('v1/webhook-endpoints')
@RequireScopes('webhooks:write')
@ApiV1Routes('Webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary: 'Create an endpoint; the answer carries its signing secret this once only',
  })
  @ApiEnvelope(201, ref('WebhookEndpointWithSecret'), 'The endpoint with its whsec_ secret')
  @ApiErrors(BODY_ERRORS, { 400: 'A bad field, e.g. a url the egress policy refuses' })
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateWebhookEndpointDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.create(principal, dto);
  }

  @Get()
  @ApiOperation({ summary: "The tenant's endpoints, never their secrets" })
  @ApiEnvelope(200, { type: 'array', items: ref('WebhookEndpoint') }, 'The endpoints')
  list(@CurrentPrincipal() principal: Principal): Promise<WebhookEndpointDto[]> {
    return this.webhooks.list(principal);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint (disabled state and why; never the secret)' })
  @ApiParam(ENDPOINT_ID)
  @ApiEnvelope(200, ref('WebhookEndpoint'), 'The endpoint')
  @ApiErrors({ 404: 'No such endpoint for this tenant' })
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<WebhookEndpointDto> {
    return this.webhooks.get(principal, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change url, events, description, or disable / enable' })
  @ApiParam(ENDPOINT_ID)
  @ApiEnvelope(200, ref('WebhookEndpoint'), 'The endpoint as changed')
  @ApiErrors(BODY_ERRORS, { 404: 'No such endpoint for this tenant' })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() dto: UpdateWebhookEndpointDto,
  ): Promise<WebhookEndpointDto> {
    return this.webhooks.update(principal, id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an endpoint and its deliveries' })
  @ApiParam(ENDPOINT_ID)
  @ApiEnvelope(200, ref('DeletedWebhookEndpoint'), 'Deleted')
  @ApiErrors({ 404: 'No such endpoint for this tenant' })
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<{ id: string; deleted: true }> {
    return this.webhooks.remove(principal, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'New signing secret, answered once; the old one keeps signing alongside it (a second v1 signature) for 24 h',
  })
  @ApiParam(ENDPOINT_ID)
  @ApiEnvelope(200, ref('WebhookEndpointWithSecret'), 'The endpoint with its new secret')
  @ApiErrors({ 404: 'No such endpoint for this tenant' })
  rotate(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<WebhookEndpointWithSecretDto> {
    return this.webhooks.rotateSecret(principal, id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a webhook.test event for this endpoint' })
  @ApiParam(ENDPOINT_ID)
  @ApiEnvelope(202, ref('WebhookDelivery'), 'The queued delivery')
  @ApiErrors({ 404: 'No such endpoint for this tenant', 409: 'The endpoint is disabled' })
  test(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.sendTest(principal, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's deliveries, newest first, with their last attempt" })
  @ApiParam(ENDPOINT_ID)
  @ApiPageQuery()
  @ApiEnvelope(200, ref('WebhookDeliveryList'), 'One page')
  @ApiErrors({ 404: 'No such endpoint for this tenant' })
  deliveries(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Query() query: Record<string, string | undefined>,
  ): Promise<{ items: WebhookDeliveryDto[]; nextCursor: string | null }> {
    return this.webhooks.deliveries(principal, id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Attempt a delivery again now, under the same webhook-id' })
  @ApiParam(ENDPOINT_ID)
  @ApiParam({
    name: 'deliveryId',
    schema: { type: 'string', example: 'msg_0123456789abcdef0123456789abcdef' },
  })
  @ApiEnvelope(202, ref('WebhookDelivery'), 'Due again')
  @ApiErrors({
    404: 'No such endpoint or delivery for this tenant',
    409: 'The endpoint is disabled, or the delivery is being attempted right now',
  })
  retry(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('deliveryId') deliveryId: string,
  ): Promise<WebhookDeliveryDto> {
    return this.webhooks.retry(principal, id, deliveryId);
  }
}
