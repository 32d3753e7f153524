import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { ApiCode } from '../common/api-code.enum';
import { EMAIL_ADDRESS_SCHEMA, EMAIL_REQUEST_SCHEMA } from '../emails/email-request.schema';
import { EMAIL_EVENT_TYPES } from '../events/email-event-type.enum';
import { EMAIL_STATUSES } from '../emails/email-status.enum';
import { MAX_BATCH } from '../emails/emails.service';
import { PROVIDER_TYPES } from '../provider-config/provider-type.enum';
import { SCOPES } from '../tenancy/scope.enum';
import { TEMPLATE_API_SCHEMAS } from '../templates/templates.api-schemas';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import { WEBHOOK_SCHEMAS } from '../webhooks/webhook-schemas';

/**
 * Schemas the decorators cannot derive: the envelope, the send request (the validator's own
 * schema) and the answers, which are TypeScript interfaces.
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

const isoDate: SchemaObject = { type: 'string', format: 'date-time' };
const nullableIsoDate: SchemaObject = { ...isoDate, nullable: true };

const providerError: SchemaObject = {
  type: 'object',
  required: ['class', 'code', 'message'],
  properties: {
    class: { type: 'string', enum: [...DELIVERY_ERROR_CLASSES] },
    code: { type: 'string', example: 'EAUTH' },
    status: { type: 'integer', description: 'SMTP reply code or HTTP status', example: 535 },
    message: { type: 'string' },
  },
};

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

export const API_SCHEMAS: Record<string, SchemaObject> = {
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
  EmailEvent: {
    type: 'object',
    required: ['id', 'type', 'recipient', 'occurredAt', 'source', 'data'],
    properties: {
      id: { type: 'string', description: 'Increasing; the cursor of the next page.' },
      type: { type: 'string', enum: [...EMAIL_EVENT_TYPES] },
      recipient: { type: 'string', nullable: true, description: 'null: the whole message.' },
      occurredAt: isoDate,
      source: {
        type: 'string',
        description: '`mailgate`, or the provider that reported it (`sendgrid`).',
      },
      data: { type: 'object', nullable: true },
    },
  },
  EmailEventList: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('EmailEvent') },
      nextCursor: {
        type: 'string',
        nullable: true,
        description: 'Pass as `cursor` for the next page.',
      },
    },
  },
  ProviderEventsResult: {
    type: 'object',
    required: ['received', 'stored', 'duplicates', 'unmatched'],
    properties: {
      received: { type: 'integer', description: 'Elements in the batch.' },
      stored: { type: 'integer', description: 'Events added to timelines.' },
      duplicates: { type: 'integer', description: 'Already stored (a repeated sg_event_id).' },
      unmatched: { type: 'integer', description: 'No message of this tenant matches.' },
    },
  },
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
      smtpConfig: ref('SmtpConfigDto'),
      sendGridConfig: ref('SendGridConfigDto'),
      aliExmailConfig: ref('ExmailConfigDto'),
      tencentExmailConfig: ref('ExmailConfigDto'),
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
  ...TEMPLATE_API_SCHEMAS,
  ...WEBHOOK_SCHEMAS,
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
