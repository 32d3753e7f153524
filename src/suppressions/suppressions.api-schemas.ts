import type { SchemaObject } from '@nestjs/swagger';
import { isoDate } from '../common/openapi/api-schemas';
import { cursorPageOf } from '../common/openapi/cursor-page.schema';

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
  SuppressionList: cursorPageOf('Suppression'),
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
