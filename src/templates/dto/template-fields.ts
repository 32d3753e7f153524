import { applyDecorators } from '@nestjs/common';
import { IsIn, IsOptional, type ValidationArguments } from 'class-validator';
import { TPL_ENGINES } from '../email-template-type.enum';

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
