import { Type } from 'class-transformer';
import {
  Allow,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  Min,
  ValidateNested,
} from 'class-validator';
import { PROVIDER_TYPES, type ProviderType } from '../provider-type.enum';
import {
  ExmailConfigDto,
  ProviderBlock,
  SendGridConfigDto,
  SmtpConfigDto,
} from './provider-blocks.dto';
import { ProviderConcurrencyDto } from './provider-concurrency.dto';
import { SendRateLimitDto } from './send-rate-limit.dto';

const requiredIfEnabled =
  (type: ProviderType) =>
  (dto: ConfigEmailProviderDto): boolean =>
    dto.enabled === true && dto.type === type;

/** Read-only fields of a read, allowed so a read can be sent back as it is; ignored. */
export abstract class ReadBackFieldsDto {
  @Allow()
  lastVerifiedAt?: unknown;

  @Allow()
  lastVerifyError?: unknown;

  @Allow()
  updatedAt?: unknown;

  @Allow()
  health?: unknown;
}

/**
 * Body of POST /api/v3/config-email-provider: GenAuth's `ConfigEmailProviderDto` plus the
 * `fallbackOnFailure`, `concurrency` and `rateLimit` extensions. The chosen type's block is required when enabled; any block
 * present is validated. Secrets may be the mask to keep the stored ones.
 */
export class ConfigEmailProviderDto extends ReadBackFieldsDto {
  @IsIn(PROVIDER_TYPES)
  type!: ProviderType;

  @IsBoolean()
  enabled!: boolean;

  @ProviderBlock('custom', SmtpConfigDto, requiredIfEnabled('custom'))
  smtpConfig?: SmtpConfigDto;

  @ProviderBlock('sendgrid', SendGridConfigDto, requiredIfEnabled('sendgrid'))
  sendGridConfig?: SendGridConfigDto;

  @ProviderBlock('ali', ExmailConfigDto, requiredIfEnabled('ali'))
  aliExmailConfig?: ExmailConfigDto;

  @ProviderBlock('qq', ExmailConfigDto, requiredIfEnabled('qq'))
  tencentExmailConfig?: ExmailConfigDto;

  /** Absent keeps the stored value (GenAuth's SDK never sends it); false for a new config. */
  @IsOptional()
  @IsBoolean()
  fallbackOnFailure?: boolean;

  /**
   * Extension: connections (SMTP) or requests in flight (SendGrid) per replica. Absent keeps the
   * stored value; `{}` restores the provider type's defaults.
   */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ProviderConcurrencyDto)
  concurrency?: ProviderConcurrencyDto;

  /**
   * Extension: the tenant's send rate, across all replicas. Absent keeps the stored value; `{}`
   * (or null, which @IsOptional lets through as a read shows it) removes the limit. Typed without
   * null so the OpenAPI schema names the nested DTO (design type).
   */
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SendRateLimitDto)
  rateLimit?: SendRateLimitDto;

  /** Optional optimistic lock: the version this edit was read at; a newer saved one answers 409. */
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}
