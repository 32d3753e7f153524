import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { MAX_URL_LENGTH } from '../webhooks.constants';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-event.enum';

export class CreateWebhookEndpointDto {
  /** https:// in production; checked against the egress policy when saved and at connect. */
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  /** Omitted or null: every event type, including ones added later. */
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, {
    each: true,
    message: `each value in events must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}`,
  })
  events?: WebhookEventType[] | null;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}
