/**
 * GenAuth's 15 email template types, exactly as authing-node-sdk's `UpdateEmailTemplateDto.type`
 * spells them (node_modules/authing-node-sdk/src/models/UpdateEmailTemplateDto.ts), in its order.
 */
export const EMAIL_TEMPLATE_TYPES = [
  'WELCOME_EMAIL',
  'FIRST_CREATED_USER',
  'REGISTER_VERIFY_CODE',
  'LOGIN_VERIFY_CODE',
  'MFA_VERIFY_CODE',
  'INFORMATION_COMPLETION_VERIFY_CODE',
  'FIRST_EMAIL_LOGIN_VERIFY',
  'CONSOLE_CONDUCTED_VERIFY',
  'USER_PASSWORD_UPDATE_REMIND',
  'ADMIN_RESET_USER_PASSWORD_NOTIFICATION',
  'USER_PASSWORD_RESET_NOTIFICATION',
  'RESET_PASSWORD_VERIFY_CODE',
  'SELF_UNLOCKING_VERIFY_CODE',
  'EMAIL_BIND_VERIFY_CODE',
  'EMAIL_UNBIND_VERIFY_CODE',
] as const;
export type EmailTemplateType = (typeof EMAIL_TEMPLATE_TYPES)[number];

export function isEmailTemplateType(value: unknown): value is EmailTemplateType {
  return typeof value === 'string' && (EMAIL_TEMPLATE_TYPES as readonly string[]).includes(value);
}

/** The SDK's `tplEngine` values. Only `handlebar` is run: `ejs` executes JavaScript. */
export const TPL_ENGINES = ['handlebar', 'ejs'] as const;
export type TplEngine = (typeof TPL_ENGINES)[number];

/** Languages of the built-in defaults; `zh-CN` when a send names none. */
export const TEMPLATE_LOCALES = ['zh-CN', 'en'] as const;
export type TemplateLocale = (typeof TEMPLATE_LOCALES)[number];
export const DEFAULT_TEMPLATE_LOCALE: TemplateLocale = 'zh-CN';
