import type { SchemaObject } from '@nestjs/swagger';
import { ref } from '../common/openapi/api-schemas';
import { cursorPageOf } from '../common/openapi/cursor-page.schema';
import { EMAIL_ADDRESS_SCHEMA, EMAIL_REQUEST_SCHEMA } from './email-request.schema';
import { EMAIL_STATUSES } from './email-status.enum';
import { EMAIL_ATTEMPT_SCHEMA, EMAIL_RECIPIENT_SCHEMA, EMAIL_VIEW_SCHEMA } from './email-view';
import { MAX_BATCH } from './emails.contract';

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
  // The answers' schemas are the mapper's own (src/emails/email-view.ts).
  EmailAttempt: EMAIL_ATTEMPT_SCHEMA,
  Email: EMAIL_VIEW_SCHEMA,
  EmailRecipient: EMAIL_RECIPIENT_SCHEMA,
  EmailList: cursorPageOf('Email'),
};
