import { applyDecorators } from '@nestjs/common';
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
  type ValidationArguments,
} from 'class-validator';
import { TPL_ENGINES } from '../email-template-type.enum';
import { MAX_EXPIRES_IN, MAX_SENDER_CHARS, MAX_SUBJECT_CHARS } from '../templates.constants';

/** Why `ejs` is refused, in the 400 that names `tplEngine`. */
export const EJS_REFUSED =
  'tplEngine "ejs" is refused: EJS templates run arbitrary JavaScript, so a tenant\'s template would execute code inside the gateway; use "handlebar" (Handlebars, logic-less and HTML-escaped)';

/** `tplEngine?`: the SDK's enum, of which only `handlebar` runs here. */
export function TplEngineField(): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    IsIn(['handlebar'], {
      message: (args: ValidationArguments) =>
        args.value === 'ejs'
          ? EJS_REFUSED
          : `tplEngine must be one of: ${TPL_ENGINES.join(', ')} (only handlebar is supported)`,
    }),
  );
}

/** CR, LF and NUL would end a header line (subject, From display name). */
export const NO_HEADER_BREAK = /^[^\r\n\0]*$/;

// The rules below are listed bottom-up, the order stacked decorators apply in, so errors keep theirs.

/** `subject`: Handlebars, plain text, one header line. */
export function SubjectField(): PropertyDecorator {
  return applyDecorators(
    Matches(NO_HEADER_BREAK, { message: '$property must not contain CR, LF or NUL' }),
    MaxLength(MAX_SUBJECT_CHARS),
    IsNotEmpty(),
    IsString(),
  );
}

/** `sender`: the From display name, one header line (may be empty). */
export function SenderField(): PropertyDecorator {
  return applyDecorators(
    Matches(NO_HEADER_BREAK, { message: '$property must not contain CR, LF or NUL' }),
    MaxLength(MAX_SENDER_CHARS),
    IsString(),
  );
}

/** `expiresIn?`: validity of the code or link in minutes, up to 30 days. */
export function ExpiresInField(): PropertyDecorator {
  return applyDecorators(Max(MAX_EXPIRES_IN), Min(1), IsInt(), IsOptional());
}
