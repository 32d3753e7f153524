import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { MAX_URL_LENGTH } from '../webhooks.constants';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-event.enum';

/** Only what is given changes; `events: null` subscribes to every event type again. */
export class UpdateWebhookEndpointDto {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

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

  /** true stops deliveries (waiting ones fail, retry them later); false enables it again. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
