import type { SchemaObject } from '@nestjs/swagger';
import { isoDate, nullableIsoDate } from '../common/openapi/api-schemas';
import { DELIVERY_STATUSES, WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT } from './webhook-event.enum';

const endpoint: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'string', example: 'ep_0123456789abcdef01234567' },
    url: { type: 'string', format: 'uri', example: 'https://hooks.example.com/mailgate' },
    description: { type: 'string', nullable: true },
    events: {
      type: 'array',
      nullable: true,
      description: 'null: every event type',
      items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
    },
    disabled: { type: 'boolean' },
    disabledAt: nullableIsoDate,
    disabledReason: { type: 'string', nullable: true },
    failingSince: {
      ...nullableIsoDate,
      description: 'Start of the current run of failed attempts',
    },
    previousSecretExpiresAt: {
      ...nullableIsoDate,
      description: 'Until when the secret before the last rotation still signs',
    },
    createdAt: isoDate,
    updatedAt: isoDate,
  },
};

const delivery: SchemaObject = {
  type: 'object',
  properties: {
    id: {
      type: 'string',
      description: 'The webhook-id header, the same on every attempt',
      example: 'msg_0123456789abcdef0123456789abcdef',
    },
    endpointId: { type: 'string' },
    type: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT] },
    emailId: { type: 'string', format: 'uuid', nullable: true },
    status: { type: 'string', enum: [...DELIVERY_STATUSES] },
    attempts: { type: 'integer' },
    nextAttemptAt: nullableIsoDate,
    lastAttemptAt: nullableIsoDate,
    lastStatusCode: { type: 'integer', nullable: true },
    lastLatencyMs: { type: 'integer', nullable: true },
    lastError: { type: 'string', nullable: true },
    createdAt: isoDate,
    deliveredAt: nullableIsoDate,
  },
};

/** The webhooks API's answers (TypeScript interfaces, so described here). */
export const WEBHOOK_API_SCHEMAS: Record<string, SchemaObject> = {
  WebhookEndpoint: endpoint,
  WebhookEndpointWithSecret: {
    allOf: [
      { $ref: '#/components/schemas/WebhookEndpoint' },
      {
        type: 'object',
        description: 'The only answers that carry the secret: creation and rotation.',
        properties: {
          secret: {
            type: 'string',
            description: 'whsec_ + base64 of 32 random bytes (Standard Webhooks)',
          },
        },
      },
    ],
  },
  DeletedWebhookEndpoint: {
    type: 'object',
    properties: { id: { type: 'string' }, deleted: { type: 'boolean', enum: [true] } },
  },
  WebhookDelivery: delivery,
  WebhookDeliveryList: {
    type: 'object',
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/WebhookDelivery' } },
      nextCursor: { type: 'string', nullable: true },
    },
  },
};
