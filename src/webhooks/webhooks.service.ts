import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { ReadyEnv } from '../config/env';
import { ApiCode } from '../common/api-code.enum';
import { AppException, ValidationException, type FieldError } from '../common/app.exception';
import { LOGGER } from '../common/logger.constants';
import { SecretCipher } from '../common/secret-cipher';
import { APP_ENV } from '../config/app-env.constants';
import type { Principal } from '../tenancy/principal';
import { TenantsService } from '../tenancy/tenants.service';
import type { CreateWebhookEndpointDto } from './dto/create-webhook-endpoint.dto';
import type { UpdateWebhookEndpointDto } from './dto/update-webhook-endpoint.dto';
import type {
  WebhookDeliveryDto,
  WebhookEndpointDto,
  WebhookEndpointWithSecretDto,
} from './dto/webhook-endpoint.dto';
import { WEBHOOK_TEST_EVENT } from './webhook-event.enum';
import { generateWebhookSecret } from './webhook-signature';
import { checkWebhookUrl } from './webhook-url';
import { WebhookWorkerService } from './webhook-worker.service';
import {
  DELIVERY_ID_RE,
  ENDPOINT_ID_RE,
  ROTATION_OVERLAP_MS,
  endpointSecretAad,
} from './webhooks.constants';
import { WebhooksRepository, type DeliveryRow, type EndpointRow } from './webhooks.repository';

function iso(date: Date | null): string | null {
  return date === null ? null : new Date(date).toISOString();
}

function endpointView(row: EndpointRow): WebhookEndpointDto {
  const overlap =
    row.previous_secret_expires_at !== null && row.previous_secret_expires_at > new Date();
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events,
    disabled: row.disabled_at !== null,
    disabledAt: iso(row.disabled_at),
    disabledReason: row.disabled_reason,
    failingSince: iso(row.failing_since),
    previousSecretExpiresAt: overlap ? iso(row.previous_secret_expires_at) : null,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
  };
}

function deliveryView(row: DeliveryRow): WebhookDeliveryDto {
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    type: row.event_type,
    emailId: row.email_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    lastAttemptAt: iso(row.last_attempt_at),
    lastStatusCode: row.last_status_code,
    lastLatencyMs: row.last_latency_ms,
    lastError: row.last_error,
    createdAt: iso(row.created_at)!,
    deliveredAt: iso(row.delivered_at),
  };
}

function encodeCursor(row: DeliveryRow): string {
  return Buffer.from(`${row.created_cursor}|${row.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  return createdAt !== undefined &&
    id !== undefined &&
    !Number.isNaN(Date.parse(createdAt)) &&
    DELIVERY_ID_RE.test(id)
    ? { createdAt, id }
    : undefined;
}

@Injectable()
export class WebhooksService {
  private readonly log: Logger;

  constructor(
    private readonly repo: WebhooksRepository,
    private readonly tenants: TenantsService,
    private readonly cipher: SecretCipher,
    private readonly worker: WebhookWorkerService,
    @Inject(APP_ENV) private readonly env: ReadyEnv,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'webhooks' });
  }

  private async checkUrl(url: string): Promise<string> {
    const problem = await checkWebhookUrl(url, this.env);
    if (problem !== null) {
      throw new ValidationException([{ field: 'url', messages: [problem] }]);
    }
    return new URL(url).toString();
  }

  private async endpointOf(principal: Principal, id: string): Promise<EndpointRow> {
    const row = ENDPOINT_ID_RE.test(id)
      ? await this.repo.getEndpoint(principal.tenantId, id)
      : null;
    if (row === null) {
      throw new AppException(ApiCode.NotFound, `Webhook endpoint ${id} not found`);
    }
    return row;
  }

  async create(
    principal: Principal,
    dto: CreateWebhookEndpointDto,
  ): Promise<WebhookEndpointWithSecretDto> {
    const url = await this.checkUrl(dto.url);
    await this.tenants.ensureTenant(principal.tenantId);
    const id = `ep_${randomBytes(12).toString('hex')}`;
    const secret = generateWebhookSecret();
    const row = await this.repo.insertEndpoint({
      tenantId: principal.tenantId,
      id,
      url,
      description: dto.description ?? null,
      events: dto.events ?? null,
      secretCiphertext: this.cipher.encrypt(secret, endpointSecretAad(principal.tenantId, id)),
    });
    this.log.info(
      { tenantId: principal.tenantId, endpointId: id, by: principal.keyId },
      'webhook endpoint created',
    );
    return { ...endpointView(row), secret };
  }

  async list(principal: Principal): Promise<WebhookEndpointDto[]> {
    return (await this.repo.listEndpoints(principal.tenantId)).map(endpointView);
  }

  async get(principal: Principal, id: string): Promise<WebhookEndpointDto> {
    return endpointView(await this.endpointOf(principal, id));
  }

  async update(
    principal: Principal,
    id: string,
    dto: UpdateWebhookEndpointDto,
  ): Promise<WebhookEndpointDto> {
    await this.endpointOf(principal, id);
    const url = dto.url === undefined ? undefined : await this.checkUrl(dto.url);
    const row = await this.repo.updateEndpoint(principal.tenantId, id, {
      url,
      description: dto.description,
      events: dto.events,
      disabled: dto.disabled,
    });
    if (row === null) {
      throw new AppException(ApiCode.NotFound, `Webhook endpoint ${id} not found`);
    }
    this.log.info(
      {
        tenantId: principal.tenantId,
        endpointId: id,
        by: principal.keyId,
        changed: Object.keys(dto),
      },
      'webhook endpoint updated',
    );
    if (dto.disabled === false) {
      this.worker.wake();
    }
    return endpointView(row);
  }

  async remove(principal: Principal, id: string): Promise<{ id: string; deleted: true }> {
    const deleted =
      ENDPOINT_ID_RE.test(id) && (await this.repo.deleteEndpoint(principal.tenantId, id));
    if (!deleted) {
      throw new AppException(ApiCode.NotFound, `Webhook endpoint ${id} not found`);
    }
    this.log.info(
      { tenantId: principal.tenantId, endpointId: id, by: principal.keyId },
      'webhook endpoint deleted',
    );
    return { id, deleted: true };
  }

  /** A new secret, answered this once; the old one signs alongside it for 24 h. */
  async rotateSecret(principal: Principal, id: string): Promise<WebhookEndpointWithSecretDto> {
    await this.endpointOf(principal, id);
    const secret = generateWebhookSecret();
    const row = await this.repo.rotateSecret(
      principal.tenantId,
      id,
      this.cipher.encrypt(secret, endpointSecretAad(principal.tenantId, id)),
      ROTATION_OVERLAP_MS,
    );
    if (row === null) {
      throw new AppException(ApiCode.NotFound, `Webhook endpoint ${id} not found`);
    }
    this.log.info(
      { tenantId: principal.tenantId, endpointId: id, by: principal.keyId },
      'webhook secret rotated',
    );
    return { ...endpointView(row), secret };
  }

  /** Queues a `webhook.test` event for this endpoint alone, whatever it subscribed to. */
  async sendTest(principal: Principal, id: string): Promise<WebhookDeliveryDto> {
    const endpoint = await this.endpointOf(principal, id);
    if (endpoint.disabled_at !== null) {
      throw new AppException(
        ApiCode.Conflict,
        `Webhook endpoint ${id} is disabled; enable it first`,
      );
    }
    const row = await this.repo.insertDelivery({
      tenantId: principal.tenantId,
      id: `msg_${randomUUID().replaceAll('-', '')}`,
      endpointId: id,
      eventType: WEBHOOK_TEST_EVENT,
      payload: {
        type: WEBHOOK_TEST_EVENT,
        timestamp: new Date().toISOString(),
        data: { tenant: principal.tenantId, endpointId: id },
      },
    });
    this.worker.wake();
    return deliveryView(row);
  }

  async deliveries(
    principal: Principal,
    id: string,
    query: Record<string, string | undefined>,
  ): Promise<{ items: WebhookDeliveryDto[]; nextCursor: string | null }> {
    const errors: FieldError[] = [];
    const unknown = Object.keys(query).filter((k) => !['cursor', 'limit'].includes(k));
    for (const field of unknown) {
      errors.push({ field, messages: ['is not a known query parameter'] });
    }
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
      errors.push({ field: 'limit', messages: ['must be an integer from 1 to 200'] });
    }
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && after === undefined) {
      errors.push({ field: 'cursor', messages: ['is not a cursor this API returned'] });
    }
    if (errors.length > 0) {
      throw new ValidationException(errors);
    }
    await this.endpointOf(principal, id);
    const rows = await this.repo.listDeliveries(principal.tenantId, id, after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      items: page.map(deliveryView),
      nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /**
   * Due again now, under the same webhook-id. A delivered or failed one gets one more attempt; a
   * waiting one keeps its place in the schedule.
   */
  async retry(principal: Principal, id: string, deliveryId: string): Promise<WebhookDeliveryDto> {
    const endpoint = await this.endpointOf(principal, id);
    const existing = DELIVERY_ID_RE.test(deliveryId)
      ? await this.repo.getDelivery(principal.tenantId, id, deliveryId)
      : null;
    if (existing === null) {
      throw new AppException(ApiCode.NotFound, `Webhook delivery ${deliveryId} not found`);
    }
    if (endpoint.disabled_at !== null) {
      throw new AppException(
        ApiCode.Conflict,
        `Webhook endpoint ${id} is disabled; enable it first`,
      );
    }
    const row = await this.repo.retryDelivery(
      principal.tenantId,
      id,
      deliveryId,
      this.env.webhooks.retryScheduleMs.length + 1,
    );
    if (row === null) {
      throw new AppException(
        ApiCode.Conflict,
        `Webhook delivery ${deliveryId} is being attempted right now`,
      );
    }
    this.worker.wake();
    return deliveryView(row);
  }
}
