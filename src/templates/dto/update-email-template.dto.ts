import {
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  MaxLength,
} from 'class-validator';
import {
  EMAIL_TEMPLATE_TYPES,
  type EmailTemplateType,
  type TplEngine,
} from '../email-template-type.enum';
import { MAX_NAME_CHARS } from '../templates.constants';
import { ExpiresInField, SenderField, SubjectField, TplEngineField } from './template-fields';

/**
 * Body of POST /api/v3/update-email-template: authing-node-sdk's `UpdateEmailTemplateDto`, field
 * for field. `content` is also checked for size (256 KiB) and compiled against the type's
 * variables by the service, which names the line and column of a failure.
 */
export class UpdateEmailTemplateDto {
  @IsIn(EMAIL_TEMPLATE_TYPES)
  type!: EmailTemplateType;

  /** True: sends of this type use this template; false: the built-in default. */
  @IsBoolean()
  customizeEnabled!: boolean;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_NAME_CHARS)
  name!: string;

  /** Handlebars, plain text (not HTML-escaped). */
  @SubjectField()
  subject!: string;

  /** The From display name (Handlebars, plain text). */
  @SenderField()
  sender!: string;

  /** Handlebars HTML, at most 256 KiB. */
  @IsString()
  @IsNotEmpty()
  content!: string;

  /** Validity of the code or link, in minutes (the `expiresIn` variable). */
  @ExpiresInField()
  expiresIn?: number;

  /** Where to go after verifying (FIRST_EMAIL_LOGIN_VERIFY, CONSOLE_CONDUCTED_VERIFY). */
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  redirectTo?: string;

  @TplEngineField()
  tplEngine?: TplEngine;
}
