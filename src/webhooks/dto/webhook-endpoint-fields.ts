import { applyDecorators } from '@nestjs/common';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '../webhook-event.enum';

// The rules are listed bottom-up, the order stacked decorators apply in, so errors keep their order.

/** Optional `events` of an endpoint: a non-empty list of distinct known event types. */
export function IsWebhookEvents(): PropertyDecorator {
  return applyDecorators(
    IsIn(WEBHOOK_EVENT_TYPES, {
      each: true,
      message: `each value in events must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
    }),
    ArrayUnique(),
    ArrayNotEmpty(),
    IsArray(),
    IsOptional(),
  );
}

/** Optional free-text `description` of an endpoint. */
export function IsWebhookDescription(): PropertyDecorator {
  return applyDecorators(MaxLength(500), IsString(), IsOptional());
}
