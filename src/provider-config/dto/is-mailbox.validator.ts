import { registerDecorator, type ValidationOptions } from 'class-validator';
import { normalizeAddress, parseMailbox } from '../../common/addresses';

/**
 * A provider sender through the project's address module. `allowName`: `Name <addr>` and
 * `{ name, email }` are accepted too (SendGrid's From); otherwise a bare address (a mailbox that
 * is also the SMTP login, as for Alibaba and Tencent enterprise mail).
 */
export function IsMailbox(allowName: boolean, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isMailbox',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: allowName
          ? '$property must be an email address or "Name <address>"'
          : '$property must be an email address',
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          allowName
            ? parseMailbox(value).ok
            : typeof value === 'string' &&
              !LINE_BREAK.test(value) &&
              normalizeAddress(value.trim()).ok,
      },
    });
  };
}

/** CR, LF and NUL would end an SMTP command line early. */
const LINE_BREAK = /[\r\n\0]/;
export const MAX_SMTP_LOGIN = 256;

/** An SMTP login: any string up to 256 characters without CR, LF or NUL (not necessarily an address). */
export function IsSmtpLogin(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isSmtpLogin',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `$property must be the SMTP login: a string of at most ${MAX_SMTP_LOGIN} characters without CR, LF or NUL`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.length <= MAX_SMTP_LOGIN && !LINE_BREAK.test(value),
      },
    });
  };
}
