import type { SchemaObject } from '@nestjs/swagger';
import { isoDate, nullableIsoDate, ref } from '../common/openapi/api-schemas';
import { providerError } from '../provider-config/provider-config.api-schemas';
import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';

/** OpenAPI schemas of the console's overview figures. */
export const STATS_API_SCHEMAS: Record<string, SchemaObject> = {
  StatsBucket: {
    type: 'object',
    description: 'Events that arrived in one minute (1h) or hour (24h), from `at`.',
    required: ['at', 'sent', 'deferred', 'failed', 'bounced'],
    properties: {
      at: isoDate,
      sent: { type: 'integer', minimum: 0 },
      deferred: { type: 'integer', minimum: 0 },
      failed: { type: 'integer', minimum: 0 },
      bounced: { type: 'integer', minimum: 0 },
    },
  },
  Stats: {
    type: 'object',
    required: ['window', 'bucketSeconds', 'from', 'to', 'series', 'totals', 'queue', 'latency'],
    properties: {
      window: { type: 'string', enum: ['1h', '24h'] },
      bucketSeconds: { type: 'integer', enum: [60, 3600] },
      from: isoDate,
      to: isoDate,
      series: { type: 'array', items: ref('StatsBucket') },
      totals: {
        type: 'object',
        properties: {
          sent: { type: 'integer' },
          deferred: { type: 'integer' },
          failed: { type: 'integer' },
          bounced: { type: 'integer' },
        },
      },
      queue: {
        type: 'object',
        description: 'Counted up to 10,000 each (the console shows 10,000+).',
        properties: {
          queued: { type: 'integer' },
          sending: { type: 'integer' },
          oldestQueuedAgeSeconds: { type: 'integer', nullable: true },
        },
      },
      latency: {
        type: 'object',
        description: 'Accept to sent, over the newest 2,000 sends of the window.',
        properties: {
          p50Ms: { type: 'integer', nullable: true },
          p95Ms: { type: 'integer', nullable: true },
          samples: { type: 'integer' },
        },
      },
      provider: {
        type: 'object',
        nullable: true,
        description: 'null: no provider saved (the built-in mailer sends).',
        properties: {
          type: { type: 'string', enum: [...PROVIDER_TYPES] },
          enabled: { type: 'boolean' },
          version: { type: 'integer' },
          health: ref('ProviderHealth'),
          lastVerifiedAt: nullableIsoDate,
          lastVerifyError: { ...providerError, nullable: true },
        },
      },
      topErrors: {
        type: 'array',
        description: 'The most frequent error codes of the last hour.',
        items: {
          type: 'object',
          properties: {
            code: { type: 'string' },
            errorClass: { type: 'string', nullable: true },
            count: { type: 'integer' },
            exampleMessageId: { type: 'string', format: 'uuid' },
          },
        },
      },
    },
  },
  TenantOverview: {
    type: 'object',
    properties: {
      tenantId: { type: 'string' },
      queued: { type: 'integer' },
      oldestQueuedAgeSeconds: { type: 'integer', nullable: true },
      sentLastHour: { type: 'integer' },
      failedLastHour: { type: 'integer' },
      bouncedLastHour: { type: 'integer' },
      circuit: {
        type: 'string',
        enum: ['closed', 'open', 'half_open'],
        nullable: true,
        description: "The enabled provider's circuit breaker; null when the built-in mailer sends.",
      },
    },
  },
};
