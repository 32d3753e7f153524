import { IsIn, IsNotEmpty, IsOptional, IsString } from 'class-validator';
import {
  EMAIL_TEMPLATE_TYPES,
  TEMPLATE_LOCALES,
  type EmailTemplateType,
  type TemplateLocale,
  type TplEngine,
} from '../email-template-type.enum';
import { ExpiresInField, SenderField, SubjectField, TplEngineField } from './template-fields';

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
  @SubjectField()
  subject?: string;

  @IsOptional()
  @SenderField()
  sender?: string;

  @ExpiresInField()
  expiresIn?: number;

  @TplEngineField()
  tplEngine?: TplEngine;

  /** Language of the default when the type is not customised; zh-CN when absent. */
  @IsOptional()
  @IsIn(TEMPLATE_LOCALES)
  locale?: TemplateLocale;
}
