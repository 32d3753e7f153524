import type { SchemaType } from '../common/schema-type';
import { DELIVERY_ERROR_CLASSES } from '../transports/delivery-error';
import type { EmailAddress } from '../transports/mail-transport.interface';
import { isSealed } from './content-sealer';
import type { StoredError } from './email-dispatch.repository';
import type { JsonSchema } from './email-request.schema';
import type { AttemptRow, MessageRow } from './email-reads.repository';
import { EMAIL_STATUSES } from './email-status.enum';
import { fallbackReasonText } from './fallback-reason';
import { recipientsOf } from './recipient-outcomes';

/**
 * A message as the API shows it, written once: these schemas are the `Email`, `EmailAttempt` and
 * `EmailRecipient` of the OpenAPI document, and `EmailView` (the type emailViewOf builds) is
 * derived from them, so a field cannot be answered without being documented, or the reverse.
 */

function ref<Name extends string>(name: Name): { $ref: `#/components/schemas/${Name}` } {
  return { $ref: `#/components/schemas/${name}` };
}

const isoDate = { type: 'string', format: 'date-time' } as const;
const nullableIsoDate = { ...isoDate, nullable: true } as const;

const ATTEMPT = {
  type: 'object',
  properties: {
    attempt: { type: 'integer', minimum: 1 },
    transport: {
      type: 'string',
      nullable: true,
      example: 'provider:custom',
      description: 'Null: no transport could be resolved (e.g. an undecryptable provider secret).',
    },
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
} as const;

const RECIPIENT = {
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
} as const;

const VIEW = {
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
      description:
        '`provider:<type>` or `builtin`; null: not attempted yet, or none could be resolved.',
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
} as const;

/** As the OpenAPI document and its types take them (their literal types stay above). */
export const EMAIL_ATTEMPT_SCHEMA: JsonSchema = ATTEMPT;
export const EMAIL_RECIPIENT_SCHEMA: JsonSchema = RECIPIENT;
export const EMAIL_VIEW_SCHEMA: JsonSchema = VIEW;

type AttemptView = SchemaType<typeof ATTEMPT>;
type RecipientView = SchemaType<typeof RECIPIENT>;
type Refs = {
  EmailAddress: EmailAddress;
  ProviderError: StoredError;
  EmailAttempt: AttemptView;
  EmailRecipient: RecipientView;
};
/** Fields a view carries only sometimes (the schema has no `required`: the rest always are). */
type OccasionalFields = 'attempts' | 'capturedMime' | 'recipients';
type FullEmailView = SchemaType<typeof VIEW, Refs>;
export type EmailView = Omit<FullEmailView, OccasionalFields> &
  Partial<Pick<FullEmailView, OccasionalFields>>;

/** Every envelope recipient with its state; pending until the dispatcher recorded one. */
function recipientViews(row: MessageRow): RecipientView[] {
  return recipientsOf(row.payload).map((email) => {
    const record = row.recipients?.[email];
    return record === undefined
      ? { email, state: 'pending', at: null }
      : {
          email,
          state: record.state,
          at: record.at,
          ...(record.bounceType === undefined ? {} : { bounceType: record.bounceType }),
          ...(record.code === undefined ? {} : { code: record.code }),
          ...(record.reason === undefined ? {} : { reason: record.reason }),
        };
  });
}

function iso(date: Date | null): string | null {
  return date === null ? null : new Date(date).toISOString();
}

/** The API's view of a stored message; with `attempts` for a single read. */
export function emailViewOf(row: MessageRow, attempts?: AttemptRow[]): EmailView {
  const view: EmailView = {
    id: row.id,
    status: row.status,
    from: row.payload.from ?? null,
    to: row.payload.to,
    cc: row.payload.cc ?? null,
    bcc: row.payload.bcc ?? null,
    subject: isSealed(row.payload) ? null : row.payload.subject,
    sensitive: row.sensitive,
    content:
      row.content_purged_at !== null ? 'purged' : isSealed(row.payload) ? 'sealed' : 'stored',
    contentPurgedAt: iso(row.content_purged_at),
    finishedAt: iso(row.finished_at),
    tags: row.tags,
    metadata: row.metadata,
    sizeBytes: row.size_bytes,
    attemptCount: row.attempts,
    nextAttemptAt: row.status === 'queued' ? iso(row.next_attempt_at) : null,
    transport: row.transport,
    fallbackReason: row.fallback_reason === null ? null : fallbackReasonText(row.fallback_reason),
    providerMessageId: row.provider_message_id,
    providerConfigVersion: row.provider_config_version,
    lastError: row.last_error,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    sentAt: iso(row.sent_at),
    recipients: recipientViews(row),
  };
  if (attempts !== undefined) {
    view.attempts = attempts.map((a) => ({
      attempt: a.attempt_no,
      transport: a.transport,
      outcome: a.outcome,
      reason: a.reason,
      errorClass: a.error_class,
      errorCode: a.error_code,
      errorStatus: a.error_status,
      errorMessage: a.error_message,
      providerMessageId: a.provider_message_id,
      startedAt: iso(a.started_at)!,
      finishedAt: iso(a.finished_at)!,
      durationMs: a.duration_ms,
    }));
  }
  if (row.captured_mime !== undefined && row.captured_mime !== null) {
    view.capturedMime = row.captured_mime;
  }
  return view;
}
