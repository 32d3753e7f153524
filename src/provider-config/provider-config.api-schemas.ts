import type { SchemaObject } from '@nestjs/swagger';
import { isoDate, nullableIsoDate, ref } from '../common/openapi/api-schemas';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { PROVIDER_DESCRIPTORS } from './provider-descriptors';
import { PROVIDER_TYPES } from './provider-type.enum';

/** A classified delivery error as answers show it (also inline in the stats overview). */
export const providerError: SchemaObject = {
  type: 'object',
  required: ['class', 'code', 'message'],
  properties: {
    class: { type: 'string', enum: [...DELIVERY_ERROR_CLASSES] },
    code: { type: 'string', example: 'EAUTH' },
    status: { type: 'integer', description: 'SMTP reply code or HTTP status', example: 535 },
    message: { type: 'string' },
  },
};

/** OpenAPI schemas of GenAuth's config_email_provider answers and mailgate's extras. */
export const PROVIDER_CONFIG_API_SCHEMAS: Record<string, SchemaObject> = {
  ProviderError: providerError,
  ProviderHealth: {
    type: 'object',
    description:
      "The circuit breaker of the provider (this config version), shared by every replica. While `open`, the tenant's messages wait in the queue without spending attempts and no connection is made; after the cool-down one probe message half-opens it.",
    required: ['state', 'since', 'consecutiveFailures', 'lastError', 'reason', 'retryAt'],
    properties: {
      state: { type: 'string', enum: ['closed', 'open', 'half_open'] },
      since: {
        ...isoDate,
        description: 'When it entered this state (the save, while it never failed).',
      },
      consecutiveFailures: { type: 'integer', minimum: 0 },
      lastError: { type: 'object', allOf: [ref('ProviderError')], nullable: true },
      reason: {
        type: 'string',
        enum: ['failures', 'auth'],
        nullable: true,
        description:
          'Why it is open: transient/rate-limited `failures` in a row (probes again at `retryAt`), or `auth` (until the config changes or a verify succeeds).',
      },
      retryAt: { ...nullableIsoDate, description: 'Open after failures: when the cool-down ends.' },
    },
  },
  EmailProvider: {
    type: 'object',
    description:
      "GenAuth's EmailProviderDto with secrets masked (`********`; send the mask back to keep a stored secret), plus mailgate's extras.",
    required: [
      'enabled',
      'type',
      'fallbackOnFailure',
      'concurrency',
      'version',
      'updatedAt',
      'health',
    ],
    properties: {
      enabled: { type: 'boolean' },
      type: { type: 'string', enum: [...PROVIDER_TYPES] },
      // Each type's block, documented from its DTO (schema named after the class).
      ...Object.fromEntries(PROVIDER_DESCRIPTORS.map((d) => [d.block, ref(d.dto.name)])),
      fallbackOnFailure: { type: 'boolean' },
      concurrency: {
        type: 'object',
        description:
          "What applies per replica (the tenant's settings, else the type's defaults): SMTP pool size and messages per connection, or SendGrid requests in flight.",
        required: ['maxConnections', 'maxMessagesPerConnection'],
        properties: {
          maxConnections: { type: 'integer', minimum: 1 },
          maxMessagesPerConnection: {
            type: 'integer',
            minimum: 1,
            nullable: true,
            description: 'SMTP only; null for SendGrid.',
          },
        },
      },
      rateLimit: {
        type: 'object',
        nullable: true,
        description:
          "The tenant's send rate across all replicas (null: unlimited). Over it, messages stay queued (an attempt `deferred` with reason `rate_limit`), never failed and no attempt spent.",
        required: ['perSecond', 'perDay'],
        properties: {
          perSecond: {
            type: 'number',
            nullable: true,
            description: 'Messages per second, evenly paced (no burst).',
          },
          perDay: {
            type: 'integer',
            nullable: true,
            description: 'Messages per calendar day in UTC.',
          },
        },
      },
      version: { type: 'integer', minimum: 1 },
      lastVerifiedAt: nullableIsoDate,
      lastVerifyError: { type: 'object', allOf: [ref('ProviderError')], nullable: true },
      updatedAt: isoDate,
      health: ref('ProviderHealth'),
    },
  },
  VerifyEmailProviderResult: {
    type: 'object',
    required: ['ok'],
    properties: { ok: { type: 'boolean' }, error: ref('ProviderError') },
  },
  SendTestEmailResult: {
    type: 'object',
    required: ['ok'],
    properties: {
      ok: { type: 'boolean' },
      providerMessageId: { type: 'string', nullable: true },
      accepted: { type: 'array', items: { type: 'string' } },
      rejected: { type: 'array', items: { type: 'string' } },
      error: ref('ProviderError'),
    },
  },
  EmailProviderHistory: {
    type: 'object',
    required: ['list', 'nextCursor'],
    properties: {
      list: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            version: { type: 'integer' },
            action: { type: 'string', example: 'update' },
            actorKeyId: { type: 'string', nullable: true },
            changes: {
              type: 'object',
              description: 'Field path → { old, new }; secrets show a marker, never a value.',
            },
            createdAt: isoDate,
          },
        },
      },
      nextCursor: { type: 'string', nullable: true },
    },
  },
};
