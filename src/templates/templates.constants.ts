import { EMAIL_TEMPLATE_TYPES, type EmailTemplateType } from './email-template-type.enum';

/** Largest template `content` accepted (UTF-8 bytes). */
export const MAX_CONTENT_BYTES = 256 * 1024;
export const MAX_SUBJECT_CHARS = 998;
export const MAX_SENDER_CHARS = 256;
export const MAX_NAME_CHARS = 100;
/** Longest `expiresIn` (minutes): 30 days. */
export const MAX_EXPIRES_IN = 43_200;
/** Send-time data: at most this many keys and characters per value. */
export const MAX_DATA_KEYS = 32;
export const MAX_DATA_VALUE_CHARS = 2048;

const CODE = ['appName', 'email', 'code', 'expiresIn'] as const;
const LINK = ['appName', 'email', 'link', 'expiresIn', 'redirectTo'] as const;

/**
 * The variables a template of each type may use (README "Email templates" documents them).
 * A template naming anything else is refused at save; a send must supply every variable the
 * template prints outside an `{{#if}}`, except the ones filled in from the template (below).
 */
export const TEMPLATE_VARIABLES: Readonly<Record<EmailTemplateType, readonly string[]>> = {
  WELCOME_EMAIL: ['appName', 'email', 'username', 'link'],
  FIRST_CREATED_USER: ['appName', 'email', 'username', 'password', 'link'],
  REGISTER_VERIFY_CODE: CODE,
  LOGIN_VERIFY_CODE: CODE,
  MFA_VERIFY_CODE: CODE,
  INFORMATION_COMPLETION_VERIFY_CODE: CODE,
  FIRST_EMAIL_LOGIN_VERIFY: LINK,
  CONSOLE_CONDUCTED_VERIFY: LINK,
  USER_PASSWORD_UPDATE_REMIND: ['appName', 'email', 'username', 'days', 'link'],
  ADMIN_RESET_USER_PASSWORD_NOTIFICATION: ['appName', 'email', 'username', 'password', 'link'],
  USER_PASSWORD_RESET_NOTIFICATION: ['appName', 'email', 'username', 'link'],
  RESET_PASSWORD_VERIFY_CODE: CODE,
  SELF_UNLOCKING_VERIFY_CODE: CODE,
  EMAIL_BIND_VERIFY_CODE: CODE,
  EMAIL_UNBIND_VERIFY_CODE: CODE,
};

/** Types whose messages carry no secret: a welcome, a reminder, a notice of a reset. */
const NOT_SENSITIVE_TEMPLATE_TYPES: ReadonlySet<EmailTemplateType> = new Set([
  'WELCOME_EMAIL',
  'USER_PASSWORD_UPDATE_REMIND',
  'USER_PASSWORD_RESET_NOTIFICATION',
]);

/**
 * Types whose messages carry a secret (a code, a password, a one-time link): sent as sensitive
 * messages by default.
 */
export const SENSITIVE_TEMPLATE_TYPES: ReadonlySet<EmailTemplateType> = new Set(
  EMAIL_TEMPLATE_TYPES.filter((type) => !NOT_SENSITIVE_TEMPLATE_TYPES.has(type)),
);

/** Default validity (minutes) of the types that have one; the others have no `expiresIn`. */
export const DEFAULT_EXPIRES_IN: Partial<Record<EmailTemplateType, number>> = {
  REGISTER_VERIFY_CODE: 5,
  LOGIN_VERIFY_CODE: 5,
  MFA_VERIFY_CODE: 5,
  INFORMATION_COMPLETION_VERIFY_CODE: 5,
  FIRST_EMAIL_LOGIN_VERIFY: 60,
  CONSOLE_CONDUCTED_VERIFY: 60,
  RESET_PASSWORD_VERIFY_CODE: 5,
  SELF_UNLOCKING_VERIFY_CODE: 5,
  EMAIL_BIND_VERIFY_CODE: 5,
  EMAIL_UNBIND_VERIFY_CODE: 5,
};

/** Values the preview renders with; the send-time data of a real message replaces them. */
export const SAMPLE_DATA: Readonly<Record<string, string | number>> = {
  email: 'user@example.com',
  username: 'Ada',
  code: '123456',
  link: 'https://example.com/verify?token=sample-token',
  password: 'Sample-Passw0rd',
  days: 7,
};

/** GenAuth's `EmailTemplateCategoryDto` list, as get-email-templates answers it. */
export const TEMPLATE_CATEGORIES = [
  {
    title: '通知模版',
    titleEn: 'Notification templates',
    desc: '欢迎、账号创建、密码到期提醒与密码重置成功等通知邮件',
    descEn: 'Welcome, account created, password expiry reminder and password reset notices',
  },
  {
    title: '验证码模版',
    titleEn: 'Verification code templates',
    desc: '注册、登录、MFA、信息补全、重置密码、自助解锁、绑定与解绑邮箱时发送的验证码邮件',
    descEn:
      'Codes for sign-up, sign-in, MFA, profile completion, password reset, self-unlock, binding and unbinding an email',
  },
  {
    title: '验证邮件模版',
    titleEn: 'Verification link templates',
    desc: '首次邮箱登录验证与控制台发起的邮箱验证，带验证链接',
    descEn: 'First email sign-in and console-initiated email verification, with a link',
  },
] as const;

/**
 * Which of TEMPLATE_CATEGORIES (by index) each type belongs to: GenAuth's categories carry no
 * type list, so the console groups types with this.
 */
export const TEMPLATE_TYPE_CATEGORY: Readonly<Record<EmailTemplateType, 0 | 1 | 2>> = {
  WELCOME_EMAIL: 0,
  FIRST_CREATED_USER: 0,
  REGISTER_VERIFY_CODE: 1,
  LOGIN_VERIFY_CODE: 1,
  MFA_VERIFY_CODE: 1,
  INFORMATION_COMPLETION_VERIFY_CODE: 1,
  FIRST_EMAIL_LOGIN_VERIFY: 2,
  CONSOLE_CONDUCTED_VERIFY: 2,
  USER_PASSWORD_UPDATE_REMIND: 0,
  ADMIN_RESET_USER_PASSWORD_NOTIFICATION: 0,
  USER_PASSWORD_RESET_NOTIFICATION: 0,
  RESET_PASSWORD_VERIFY_CODE: 1,
  SELF_UNLOCKING_VERIFY_CODE: 1,
  EMAIL_BIND_VERIFY_CODE: 1,
  EMAIL_UNBIND_VERIFY_CODE: 1,
};

/** Page size of GET /api/v3/email-template-history, as the provider history's. */
export const TEMPLATE_HISTORY_DEFAULT_LIMIT = 20;
export const TEMPLATE_HISTORY_MAX_LIMIT = 100;
