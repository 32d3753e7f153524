import { IsInt, IsOptional, Max, Min } from 'class-validator';
import {
  CONCURRENCY_LIMITS,
  type ProviderConcurrencySettings,
} from '../../transports/provider-concurrency';

const { maxConnections, maxMessagesPerConnection } = CONCURRENCY_LIMITS;

/**
 * mailgate's `concurrency` extension of the provider config: per replica, how many SMTP
 * connections (or SendGrid requests) the tenant's provider gets at once. A field left out or
 * null takes the provider type's default.
 */
export class ProviderConcurrencyDto implements ProviderConcurrencySettings {
  /** SMTP pool size, or SendGrid requests in flight (keep-alive sockets). */
  @IsOptional()
  @IsInt()
  @Min(maxConnections.min)
  @Max(maxConnections.max)
  maxConnections?: number | null;

  /** SMTP only: messages one connection carries before it is replaced; ignored for SendGrid. */
  @IsOptional()
  @IsInt()
  @Min(maxMessagesPerConnection.min)
  @Max(maxMessagesPerConnection.max)
  maxMessagesPerConnection?: number | null;
}
