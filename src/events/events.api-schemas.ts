import type { SchemaObject } from '@nestjs/swagger';
import { isoDate } from '../common/openapi/api-schemas';
import { cursorPageOf } from '../common/openapi/cursor-page.schema';
import { EMAIL_EVENT_TYPES } from './email-event-type.enum';

/** OpenAPI schemas of a message's timeline and of provider event ingestion. */
export const EVENT_API_SCHEMAS: Record<string, SchemaObject> = {
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
  EmailEventList: cursorPageOf('EmailEvent'),
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
};
