import type { EmailTemplateType, TemplateLocale } from './email-template-type.enum';
import { DEFAULT_EXPIRES_IN } from './templates.constants';

/** A built-in template in one language; `content` is Handlebars HTML. */
export interface DefaultTemplate {
  name: string;
  subject: string;
  sender: string;
  content: string;
}

/** The From display name of the defaults until a tenant sets its own. */
export const DEFAULT_SENDER = 'mailgate';

interface Copy {
  name: string;
  subject: string;
  heading: string;
  /** Paragraphs of Handlebars HTML (variables escaped by the engine). */
  body: string[];
}

const CODE_BLOCK =
  '<p style="font-size:28px;font-weight:bold;letter-spacing:6px;margin:24px 0;color:#111111">{{code}}</p>';
const LINK_BLOCK =
  '<p style="margin:24px 0"><a href="{{link}}" style="color:#0b57d0;font-weight:bold">{{linkText}}</a></p>';

/**
 * One plain, accessible page: language declared, one heading, readable contrast and size, no
 * images or scripts, the link's address repeated as text for clients that strip links.
 */
function page(locale: TemplateLocale, copy: Copy, footer: string): string {
  const body = copy.body.map((p) => (p.startsWith('<p') ? p : `<p>${p}</p>`)).join('\n      ');
  return `<!DOCTYPE html>
<html lang="${locale}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${copy.subject}</title>
  </head>
  <body style="margin:0;padding:24px;background:#ffffff;color:#1f1f1f;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.6">
    <div role="article" aria-label="${copy.subject}" style="max-width:560px;margin:0 auto">
      <h1 style="font-size:22px;margin:0 0 16px">${copy.heading}</h1>
      ${body}
      <p style="margin-top:32px;font-size:13px;color:#5f6368">${footer}</p>
    </div>
  </body>
</html>
`;
}

function codeCopy(
  zhWhat: string,
  enWhat: string,
  zhName: string,
  enName: string,
): Record<TemplateLocale, Copy> {
  return {
    'zh-CN': {
      name: zhName,
      subject: `【{{appName}}】${zhWhat}验证码`,
      heading: `${zhWhat}验证码`,
      body: [
        '您好，{{email}}：',
        `您正在${zhWhat}，验证码为：`,
        CODE_BLOCK,
        '验证码 {{expiresIn}} 分钟内有效。请勿将验证码告诉他人；如果这不是您本人的操作，请忽略此邮件。',
      ],
    },
    en: {
      name: enName,
      subject: `{{appName}}: your ${enWhat} code`,
      heading: `Your ${enWhat} code`,
      body: [
        'Hello {{email}},',
        `Use this code for ${enWhat}:`,
        CODE_BLOCK,
        'The code expires in {{expiresIn}} minutes. Never share it with anyone. If you did not ask for it, ignore this email.',
      ],
    },
  };
}

function linkCopy(
  zhName: string,
  enName: string,
  zhSubject: string,
  enSubject: string,
): Record<TemplateLocale, Copy> {
  return {
    'zh-CN': {
      name: zhName,
      subject: `【{{appName}}】${zhSubject}`,
      heading: zhSubject,
      body: [
        '您好，{{email}}：',
        '请点击下面的链接验证您的邮箱地址：',
        LINK_BLOCK.replace('{{linkText}}', '验证邮箱'),
        '如果无法点击，请将此地址复制到浏览器中打开：{{link}}',
        '链接 {{expiresIn}} 分钟内有效。如果这不是您本人的操作，请忽略此邮件。',
      ],
    },
    en: {
      name: enName,
      subject: `{{appName}}: ${enSubject}`,
      heading: enSubject,
      body: [
        'Hello {{email}},',
        'Follow this link to verify your email address:',
        LINK_BLOCK.replace('{{linkText}}', 'Verify email'),
        'If the link does not open, copy this address into your browser: {{link}}',
        'The link expires in {{expiresIn}} minutes. If you did not ask for it, ignore this email.',
      ],
    },
  };
}

const COPIES: Record<EmailTemplateType, Record<TemplateLocale, Copy>> = {
  WELCOME_EMAIL: {
    'zh-CN': {
      name: '欢迎邮件',
      subject: '欢迎加入 {{appName}}',
      heading: '欢迎加入 {{appName}}',
      body: [
        '您好，{{email}}：',
        '感谢您注册 {{appName}}，您的账号已经可以使用了。',
        '如果这不是您本人的操作，请联系我们。',
      ],
    },
    en: {
      name: 'Welcome email',
      subject: 'Welcome to {{appName}}',
      heading: 'Welcome to {{appName}}',
      body: [
        'Hello {{email}},',
        'Thank you for signing up for {{appName}}. Your account is ready to use.',
        'If this was not you, please contact us.',
      ],
    },
  },
  FIRST_CREATED_USER: {
    'zh-CN': {
      name: '首次创建用户通知',
      subject: '【{{appName}}】您的账号已创建',
      heading: '您的账号已创建',
      body: [
        '您好，{{email}}：',
        '管理员已在 {{appName}} 为您创建了账号，登录名为 {{email}}。请点击下面的链接登录并设置密码：',
        LINK_BLOCK.replace('{{linkText}}', '登录 {{appName}}'),
        '如果无法点击，请将此地址复制到浏览器中打开：{{link}}',
      ],
    },
    en: {
      name: 'Account created notice',
      subject: '{{appName}}: your account was created',
      heading: 'Your account was created',
      body: [
        'Hello {{email}},',
        'An administrator created an account for you in {{appName}}; you sign in as {{email}}. Follow this link to sign in and set your password:',
        LINK_BLOCK.replace('{{linkText}}', 'Sign in to {{appName}}'),
        'If the link does not open, copy this address into your browser: {{link}}',
      ],
    },
  },
  REGISTER_VERIFY_CODE: codeCopy('注册', 'sign-up', '注册验证码', 'Sign-up verification code'),
  LOGIN_VERIFY_CODE: codeCopy('登录', 'sign-in', '登录验证码', 'Sign-in verification code'),
  MFA_VERIFY_CODE: codeCopy(
    '进行多因素认证',
    'multi-factor authentication',
    'MFA 验证码',
    'MFA verification code',
  ),
  INFORMATION_COMPLETION_VERIFY_CODE: codeCopy(
    '补全注册信息',
    'completing your profile',
    '注册信息补全验证码',
    'Profile completion verification code',
  ),
  FIRST_EMAIL_LOGIN_VERIFY: linkCopy(
    '首次邮箱登录验证',
    'First email sign-in verification',
    '请验证您的邮箱',
    'verify your email to sign in',
  ),
  CONSOLE_CONDUCTED_VERIFY: linkCopy(
    '控制台发起邮件验证',
    'Console email verification',
    '请验证您的邮箱',
    'verify your email address',
  ),
  USER_PASSWORD_UPDATE_REMIND: {
    'zh-CN': {
      name: '密码到期提醒',
      subject: '【{{appName}}】您的密码即将到期',
      heading: '您的密码即将到期',
      body: [
        '您好，{{email}}：',
        '您在 {{appName}} 的密码将在 {{days}} 天后到期，请及时修改密码：',
        LINK_BLOCK.replace('{{linkText}}', '修改密码'),
        '如果无法点击，请将此地址复制到浏览器中打开：{{link}}',
      ],
    },
    en: {
      name: 'Password expiry reminder',
      subject: '{{appName}}: your password expires soon',
      heading: 'Your password expires soon',
      body: [
        'Hello {{email}},',
        'Your {{appName}} password expires in {{days}} days. Please change it:',
        LINK_BLOCK.replace('{{linkText}}', 'Change password'),
        'If the link does not open, copy this address into your browser: {{link}}',
      ],
    },
  },
  ADMIN_RESET_USER_PASSWORD_NOTIFICATION: {
    'zh-CN': {
      name: '管理员重置用户密码成功通知',
      subject: '【{{appName}}】管理员已重置您的密码',
      heading: '管理员已重置您的密码',
      body: [
        '您好，{{email}}：',
        '管理员已重置您在 {{appName}} 的密码，新密码为：',
        '<p style="font-size:18px;font-weight:bold;margin:16px 0">{{password}}</p>',
        '请登录后尽快修改密码。如果您对此有疑问，请联系管理员。',
      ],
    },
    en: {
      name: 'Password reset by an administrator',
      subject: '{{appName}}: an administrator reset your password',
      heading: 'An administrator reset your password',
      body: [
        'Hello {{email}},',
        'An administrator reset your {{appName}} password. Your new password is:',
        '<p style="font-size:18px;font-weight:bold;margin:16px 0">{{password}}</p>',
        'Please sign in and change it soon. If you have questions, contact your administrator.',
      ],
    },
  },
  USER_PASSWORD_RESET_NOTIFICATION: {
    'zh-CN': {
      name: '用户密码重置成功通知',
      subject: '【{{appName}}】您的密码已重置',
      heading: '您的密码已重置',
      body: [
        '您好，{{email}}：',
        '您在 {{appName}} 的密码已成功重置。',
        '如果这不是您本人的操作，请立即联系我们。',
      ],
    },
    en: {
      name: 'Password reset notice',
      subject: '{{appName}}: your password was reset',
      heading: 'Your password was reset',
      body: [
        'Hello {{email}},',
        'Your {{appName}} password was reset successfully.',
        'If this was not you, contact us immediately.',
      ],
    },
  },
  RESET_PASSWORD_VERIFY_CODE: codeCopy(
    '重置密码',
    'resetting your password',
    '重置密码验证码',
    'Password reset verification code',
  ),
  SELF_UNLOCKING_VERIFY_CODE: codeCopy(
    '自助解锁账号',
    'unlocking your account',
    '自助解锁验证码',
    'Self-unlock verification code',
  ),
  EMAIL_BIND_VERIFY_CODE: codeCopy(
    '绑定邮箱',
    'binding this email',
    '绑定邮箱验证码',
    'Email binding verification code',
  ),
  EMAIL_UNBIND_VERIFY_CODE: codeCopy(
    '解绑邮箱',
    'unbinding this email',
    '解绑邮箱验证码',
    'Email unbinding verification code',
  ),
};

const FOOTER: Record<TemplateLocale, string> = {
  'zh-CN': '此邮件由系统自动发送，请勿直接回复。',
  en: 'This message was sent automatically; please do not reply to it.',
};

/** The built-in template of `type` in `locale`. */
export function defaultTemplate(type: EmailTemplateType, locale: TemplateLocale): DefaultTemplate {
  const copy = COPIES[type][locale];
  return {
    name: copy.name,
    subject: copy.subject,
    sender: DEFAULT_SENDER,
    content: page(locale, copy, FOOTER[locale]),
  };
}

export function defaultExpiresIn(type: EmailTemplateType): number | undefined {
  return DEFAULT_EXPIRES_IN[type];
}
