import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  EMAIL_TEMPLATE_TYPES,
  TEMPLATE_LOCALES,
  type EmailTemplateType,
  type TemplateLocale,
  type TplEngine,
} from '../email-template-type.enum';
import { MAX_EXPIRES_IN, MAX_SENDER_CHARS, MAX_SUBJECT_CHARS } from '../templates.constants';
import { NO_HEADER_BREAK, TplEngineField } from './template-fields';

/**
 * Body of POST /api/v3/preview-email-template: authing-node-sdk's `PreviewEmailTemplateDto`.
 * Fields left out come from the tenant's saved template (or the default); `locale` (mailgate's)
 * picks the default's language.
 */
export class PreviewEmailTemplateDto {
  @IsIn(EMAIL_TEMPLATE_TYPES)
  type!: EmailTemplateType;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  content?: string;

  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_SUBJECT_CHARS)
  @Matches(NO_HEADER_BREAK, { message: '$property must not contain CR, LF or NUL' })
  subject?: string;

  @IsOptional()
  @IsString()
  @MaxLength(MAX_SENDER_CHARS)
  @Matches(NO_HEADER_BREAK, { message: '$property must not contain CR, LF or NUL' })
  sender?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_EXPIRES_IN)
  expiresIn?: number;

  @TplEngineField()
  tplEngine?: TplEngine;

  /** Language of the default when the type is not customised; zh-CN when absent. */
  @IsOptional()
  @IsIn(TEMPLATE_LOCALES)
  locale?: TemplateLocale;
}
