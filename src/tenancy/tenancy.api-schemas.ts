import type { SchemaObject } from '@nestjs/swagger';
import { isoDate, nullableIsoDate } from '../common/openapi/api-schemas';
import { SCOPES } from './scope.enum';

/** OpenAPI schemas of the API key answers. */
export const TENANCY_API_SCHEMAS: Record<string, SchemaObject> = {
  ApiKey: {
    type: 'object',
    properties: {
      id: { type: 'string', example: 'mgk_0123456789abcdef' },
      tenant: { type: 'string' },
      name: { type: 'string', nullable: true },
      scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
      createdAt: isoDate,
      createdBy: { type: 'string', nullable: true },
      lastUsedAt: nullableIsoDate,
      revokedAt: nullableIsoDate,
    },
  },
  CreatedApiKey: {
    type: 'object',
    description: 'The only answer that ever carries the secret.',
    properties: {
      id: { type: 'string', example: 'mgk_0123456789abcdef' },
      secret: { type: 'string' },
      token: { type: 'string', description: 'Bearer token: `<id>.<secret>`.' },
      tenant: { type: 'string' },
      scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] } },
      name: { type: 'string', nullable: true },
      createdAt: isoDate,
    },
  },
  RevokedApiKey: {
    type: 'object',
    properties: { id: { type: 'string' }, revokedAt: isoDate },
  },
};
