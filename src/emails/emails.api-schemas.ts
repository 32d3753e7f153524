import type { SchemaObject } from '@nestjs/swagger';
import { isoDate, nullableIsoDate, ref } from '../common/openapi/api-schemas';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { EMAIL_ADDRESS_SCHEMA, EMAIL_REQUEST_SCHEMA } from './email-request.schema';
import { EMAIL_STATUSES } from './email-status.enum';
import { MAX_BATCH } from './emails.contract';

const attempt: SchemaObject = {
  type: 'object',
  properties: {
    attempt: { type: 'integer', minimum: 1 },
    transport: { type: 'string', example: 'provider:custom' },
    outcome: {
      type: 'string',
      enum: ['sent', 'retry', 'failed', 'deferred'],
      description:
        '`deferred`: the message was held back before reaching a transport (see `reason`); it stays queued and the attempt is not counted.',
    },
    reason: {
      type: 'string',
      nullable: true,
      description: "Why a `deferred` attempt waited: `rate_limit` is the tenant's `rateLimit`.",
    },
    errorClass: { type: 'string', enum: [...DELIVERY_ERROR_CLASSES], nullable: true },
    errorCode: { type: 'string', nullable: true },
    errorStatus: { type: 'integer', nullable: true },
    errorMessage: { type: 'string', nullable: true },
    providerMessageId: { type: 'string', nullable: true },
    startedAt: isoDate,
    finishedAt: isoDate,
    durationMs: { type: 'integer' },
  },
};

/** OpenAPI schemas of the send requests and of the message answers. */
export const EMAIL_API_SCHEMAS: Record<string, SchemaObject> = {
  // The send request's schema is the validator's own (src/emails/email-request.schema.ts).
  EmailAddress: EMAIL_ADDRESS_SCHEMA,
  EmailRequest: EMAIL_REQUEST_SCHEMA,
  EmailBatchRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['messages'],
    properties: {
      messages: { type: 'array', minItems: 1, maxItems: MAX_BATCH, items: ref('EmailRequest') },
    },
  },
  AcceptedEmail: {
    type: 'object',
    required: ['id', 'status'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: [...EMAIL_STATUSES] },
    },
  },
  EmailBatchResult: {
    type: 'object',
    required: ['accepted', 'rejected', 'results'],
    properties: {
      accepted: { type: 'integer' },
      rejected: { type: 'integer' },
      results: {
        type: 'array',
        description: 'One item per message, in request order: its id, or why it was refused.',
        items: {
          oneOf: [
            {
              type: 'object',
              required: ['index', 'id', 'status'],
              properties: {
                index: { type: 'integer' },
                id: { type: 'string', format: 'uuid' },
                status: { type: 'string', enum: ['queued'] },
              },
            },
            {
              type: 'object',
              required: ['index', 'errors'],
              properties: {
                index: { type: 'integer' },
                errors: { type: 'array', items: ref('FieldError') },
              },
            },
          ],
        },
      },
    },
  },
  EmailAttempt: attempt,
  Email: {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      status: { type: 'string', enum: [...EMAIL_STATUSES] },
      from: { type: 'object', allOf: [ref('EmailAddress')], nullable: true },
      to: { type: 'array', items: ref('EmailAddress') },
      cc: { type: 'array', items: ref('EmailAddress'), nullable: true },
      bcc: { type: 'array', items: ref('EmailAddress'), nullable: true },
      subject: {
        type: 'string',
        nullable: true,
        description: 'Null for a sensitive message (its subject is content).',
      },
      sensitive: { type: 'boolean' },
      content: {
        type: 'string',
        enum: ['stored', 'sealed', 'purged'],
        description:
          '`sealed`: sensitive, encrypted until sent, never shown. `purged`: removed at contentPurgedAt (sensitive: when final; others: MESSAGE_CONTENT_RETENTION after finishedAt).',
      },
      contentPurgedAt: nullableIsoDate,
      finishedAt: {
        ...nullableIsoDate,
        description: 'When it reached a final status; the row goes MESSAGE_RETENTION later.',
      },
      tags: { type: 'array', items: { type: 'string' }, nullable: true },
      metadata: { type: 'object', nullable: true },
      sizeBytes: { type: 'integer' },
      attemptCount: { type: 'integer' },
      nextAttemptAt: { ...nullableIsoDate, description: 'Set while queued.' },
      transport: {
        type: 'string',
        nullable: true,
        description: '`provider:<type>` or `builtin`.',
      },
      fallbackReason: {
        type: 'string',
        nullable: true,
        description: 'Why the built-in mailer sent it instead of the provider.',
      },
      providerMessageId: { type: 'string', nullable: true },
      providerConfigVersion: {
        type: 'integer',
        nullable: true,
        description:
          'Version of the provider config that chose the transport of the last attempt (null: none saved, or not attempted yet). Always the version in force when the message was accepted, or a newer one.',
      },
      lastError: { type: 'object', allOf: [ref('ProviderError')], nullable: true },
      createdAt: isoDate,
      updatedAt: isoDate,
      sentAt: nullableIsoDate,
      attempts: {
        type: 'array',
        items: ref('EmailAttempt'),
        description: 'Single reads only.',
      },
      capturedMime: {
        type: 'string',
        description: 'Raw MIME kept by the capture:// built-in mailer (development only).',
      },
      recipients: {
        type: 'array',
        items: ref('EmailRecipient'),
        description: "Each envelope recipient's state; the status derives from them (README).",
      },
    },
  },
  EmailRecipient: {
    type: 'object',
    required: ['email', 'state'],
    properties: {
      email: { type: 'string' },
      state: {
        type: 'string',
        enum: [
          'pending',
          'deferred',
          'sent',
          'delivered',
          'failed',
          'dropped',
          'bounced',
          'complained',
          'suppressed',
        ],
      },
      at: { ...nullableIsoDate, description: 'When the state was reached.' },
      bounceType: { type: 'string', enum: ['hard', 'soft'] },
      code: { type: 'string', description: 'SMTP reply code or provider status.' },
      reason: { type: 'string', description: "The receiving server's or provider's reason." },
    },
  },
  EmailList: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('Email') },
      nextCursor: {
        type: 'string',
        nullable: true,
        description: 'Pass as `cursor` for the next page.',
      },
    },
  },
};
