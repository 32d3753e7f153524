import { IsString, MaxLength } from 'class-validator';
import { MAX_URL_LENGTH } from '../webhooks.constants';
import type { WebhookEventType } from '../webhook-event.enum';
import { IsWebhookDescription, IsWebhookEvents } from './webhook-endpoint-fields';

export class CreateWebhookEndpointDto {
  /** https:// in production; checked against the egress policy when saved and at connect. */
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  /** Omitted or null: every event type, including ones added later. */
  @IsWebhookEvents()
  events?: WebhookEventType[] | null;

  @IsWebhookDescription()
  description?: string | null;
}
