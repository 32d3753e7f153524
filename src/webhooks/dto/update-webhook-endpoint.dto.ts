import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_URL_LENGTH } from '../webhooks.constants';
import type { WebhookEventType } from '../webhook-event.enum';
import { IsWebhookDescription, IsWebhookEvents } from './webhook-endpoint-fields';

/** Only what is given changes; `events: null` subscribes to every event type again. */
export class UpdateWebhookEndpointDto {
  @IsOptional()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  @IsWebhookEvents()
  events?: WebhookEventType[] | null;

  @IsWebhookDescription()
  description?: string | null;

  /** true stops deliveries (waiting ones fail, retry them later); false enables it again. */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}
