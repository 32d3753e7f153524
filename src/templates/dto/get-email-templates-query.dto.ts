import { IsIn, IsOptional } from 'class-validator';
import { TEMPLATE_LOCALES, type TemplateLocale } from '../email-template-type.enum';

/** Query of GET /api/v3/get-email-templates (mailgate's additions; the SDK sends none). */
export class GetEmailTemplatesQueryDto {
  /** Language of the defaults listed for types the tenant has not saved. */
  @IsOptional()
  @IsIn(TEMPLATE_LOCALES)
  locale?: TemplateLocale;

  /** `true`: list the built-in defaults even where the tenant saved its own (for "reset"). */
  @IsOptional()
  @IsIn(['true', 'false'])
  defaults?: 'true' | 'false';
}
