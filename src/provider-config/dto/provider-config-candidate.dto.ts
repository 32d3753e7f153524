import { Allow, IsBoolean, IsIn, IsOptional, ValidateIf } from 'class-validator';
import { PROVIDER_TYPES, type ProviderType } from '../provider-type.enum';
import {
  ExmailConfigDto,
  ProviderBlock,
  SendGridConfigDto,
  SmtpConfigDto,
} from './provider-blocks.dto';
import { ReadBackFieldsDto } from './config-email-provider.dto';

const requiredForType =
  (type: ProviderType) =>
  (dto: { type?: unknown }): boolean =>
    dto.type === type;

/**
 * The fields of an unsaved config besides `type`: `enabled` is accepted but does not matter (the
 * block of the type is checked either way). Shared by the candidate and the verify body, which
 * differ only in whether `type` is required.
 */
abstract class CandidateFieldsDto extends ReadBackFieldsDto {
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ProviderBlock('custom', SmtpConfigDto, requiredForType('custom'))
  smtpConfig?: SmtpConfigDto;

  @ProviderBlock('sendgrid', SendGridConfigDto, requiredForType('sendgrid'))
  sendGridConfig?: SendGridConfigDto;

  @ProviderBlock('ali', ExmailConfigDto, requiredForType('ali'))
  aliExmailConfig?: ExmailConfigDto;

  @ProviderBlock('qq', ExmailConfigDto, requiredForType('qq'))
  tencentExmailConfig?: ExmailConfigDto;

  @IsOptional()
  @IsBoolean()
  fallbackOnFailure?: boolean;

  // Read-only here too (the saved config's lock), allowed like the other fields of a read.
  @Allow()
  version?: unknown;
}

/** An unsaved config to verify or test-send with, in the seed's shape: `type` and its block are required. */
export class ProviderConfigCandidateDto extends CandidateFieldsDto {
  @IsIn(PROVIDER_TYPES)
  type!: ProviderType;
}

/** True when a verify body carries any field, i.e. names a config instead of "the saved one". */
export function namesCandidate(dto: object): boolean {
  return Object.values(dto).some((value) => value !== undefined);
}

/**
 * Body of POST /api/v3/verify-email-provider: empty verifies the saved config; otherwise it is a
 * candidate config (same rules as ProviderConfigCandidateDto).
 */
export class VerifyEmailProviderDto extends CandidateFieldsDto {
  @ValidateIf((dto: object) => namesCandidate(dto))
  @IsIn(PROVIDER_TYPES)
  type?: ProviderType;
}
