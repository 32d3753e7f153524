import type { SchemaObject } from '@nestjs/swagger';
import { isoDate, ref } from '../common/openapi/api-schemas';

/** OpenAPI schemas of the suppression list. */
export const SUPPRESSION_API_SCHEMAS: Record<string, SchemaObject> = {
  Suppression: {
    type: 'object',
    required: ['email', 'reason', 'source', 'sourceMessageId', 'createdAt'],
    properties: {
      email: { type: 'string', description: 'Domain case-folded, in punycode.' },
      reason: {
        type: 'string',
        enum: ['hard_bounce', 'complaint', 'dropped', 'unsubscribe', 'manual'],
      },
      source: { type: 'string', description: '`api`, `smtp` or `sendgrid`.' },
      sourceMessageId: { type: 'string', format: 'uuid', nullable: true },
      detail: { type: 'object', nullable: true },
      createdAt: isoDate,
    },
  },
  SuppressionList: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('Suppression') },
      nextCursor: {
        type: 'string',
        nullable: true,
        description: 'Pass as `cursor` for the next page.',
      },
    },
  },
  SuppressionRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email'],
    properties: {
      email: { type: 'string', maxLength: 254 },
      reason: {
        type: 'string',
        enum: ['hard_bounce', 'complaint', 'dropped', 'unsubscribe', 'manual'],
        default: 'manual',
      },
    },
  },
};
