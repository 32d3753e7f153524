import type { SchemaObject } from '@nestjs/swagger';
import { ref } from './api-schemas';

/** One page of a cursor-paged `/v1` list of the schema named `item`. */
export function cursorPageOf(item: string): SchemaObject {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref(item) },
      nextCursor: {
        type: 'string',
        nullable: true,
        description: 'Pass as `cursor` for the next page.',
      },
    },
  };
}
