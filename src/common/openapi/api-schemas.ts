import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { ApiCode } from '../api-code.enum';

/**
 * What every feature's OpenAPI schemas build on: references, the envelope and its errors. Each
 * feature keeps its own named schemas (`<feature>.api-schemas.ts`); docs/ gathers them.
 */

export type Schema = SchemaObject | ReferenceObject;

export function ref(name: string): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

/** Numeric ApiCode values, grouped by the HTTP status their first three digits name. */
export function apiCodesFor(status: number): number[] {
  return Object.values(ApiCode)
    .filter((v): v is number => typeof v === 'number' && Math.floor(v / 100) === status)
    .sort((a, b) => a - b);
}

export const isoDate: SchemaObject = { type: 'string', format: 'date-time' };
export const nullableIsoDate: SchemaObject = { ...isoDate, nullable: true };

/** The envelope and its error shapes, which every operation refers to. */
export const COMMON_API_SCHEMAS: Record<string, SchemaObject> = {
  Envelope: {
    type: 'object',
    description:
      "GenAuth's envelope around every JSON answer except health, metrics and docs. `requestId` is also in the `x-request-id` header.",
    required: ['statusCode', 'message', 'requestId', 'data'],
    properties: {
      statusCode: { type: 'integer', example: 200 },
      message: { type: 'string', example: 'success' },
      apiCode: { type: 'integer', description: 'Stable code of the error kind (errors only).' },
      requestId: { type: 'string', example: '5d8f3c1e-8a2b-4c6d-9e0f-1a2b3c4d5e6f' },
      // Any JSON, null included (no `nullable`: OpenAPI 3.0 gives it meaning only beside a type).
      data: { description: 'The answer (each operation shows its schema), or null.' },
    },
  },
  ErrorEnvelope: {
    allOf: [
      ref('Envelope'),
      {
        type: 'object',
        required: ['apiCode'],
        properties: {
          apiCode: {
            type: 'integer',
            enum: Object.values(ApiCode).filter((v) => typeof v === 'number'),
            description:
              'The first three digits are the HTTP status the kind maps to (see ApiCode in the source).',
          },
          data: {
            type: 'object',
            nullable: true,
            oneOf: [ref('ValidationErrors'), { type: 'object' }],
            description:
              '`{ errors }` naming every failing field for 400 ValidationFailed; `{ id }` of the first message for 409 IdempotencyKeyReused; otherwise null.',
          },
        },
      },
    ],
  },
  ValidationErrors: {
    type: 'object',
    required: ['errors'],
    properties: {
      errors: { type: 'array', items: ref('FieldError') },
    },
  },
  FieldError: {
    type: 'object',
    required: ['field', 'messages'],
    properties: {
      field: { type: 'string', description: 'Dotted path.', example: 'smtpConfig.smtp_port' },
      messages: { type: 'array', items: { type: 'string' } },
    },
  },
};

/** The envelope around a successful answer whose `data` is `data`. */
export function envelopeOf(data: Schema, nullable = false): SchemaObject {
  return {
    allOf: [
      ref('Envelope'),
      {
        type: 'object',
        properties: {
          statusCode: { type: 'integer', example: 200 },
          // `nullable` needs a `type` beside it (OpenAPI 3.0.3 §4.7.24.1); every answer is an object.
          data: nullable ? { type: 'object', allOf: [data], nullable: true } : data,
        },
      },
    ],
  };
}

/** The error envelope for one status, with the apiCodes that status can carry. */
export function errorEnvelopeOf(status: number): SchemaObject {
  return {
    allOf: [
      ref('ErrorEnvelope'),
      {
        type: 'object',
        properties: {
          statusCode: { type: 'integer', enum: [status] },
          apiCode: { type: 'integer', enum: apiCodesFor(status) },
        },
      },
    ],
  };
}
