import type { ProviderType } from './provider-type.enum';

/** What reads show instead of a secret; posting it back means "keep the stored one". */
export const SECRET_MASK = '********';

/** The seed's four config blocks, in the order GenAuth lists them. */
export const BLOCK_KEYS = [
  'smtpConfig',
  'sendGridConfig',
  'aliExmailConfig',
  'tencentExmailConfig',
] as const;
export type BlockKey = (typeof BLOCK_KEYS)[number];

/** The block each provider type sends with. */
export const BLOCK_OF_TYPE: Readonly<Record<ProviderType, BlockKey>> = {
  custom: 'smtpConfig',
  sendgrid: 'sendGridConfig',
  ali: 'aliExmailConfig',
  qq: 'tencentExmailConfig',
};

/** The one secret field of each block. */
export const SECRET_FIELD: Readonly<Record<BlockKey, 'senderPass' | 'apikey'>> = {
  smtpConfig: 'senderPass',
  sendGridConfig: 'apikey',
  aliExmailConfig: 'senderPass',
  tencentExmailConfig: 'senderPass',
};

/**
 * Fields a stored secret is bound to: changing one while posting the mask would send the kept
 * secret to another server or login, so the secret must be sent again. SendGrid has none: its
 * key only ever goes to SENDGRID_API_URL, which the operator controls.
 */
export const SECRET_BINDING_FIELDS: Readonly<Record<BlockKey, readonly string[]>> = {
  smtpConfig: ['smtp_host', 'smtp_port', 'sender'],
  sendGridConfig: [],
  aliExmailConfig: ['sender'],
  tencentExmailConfig: ['sender'],
};

/** Audit markers standing in for secret values, which are never recorded. */
export const SECRET_SET = 'secret set';
export const SECRET_CHANGED = 'secret changed';
export const SECRET_REMOVED = 'secret removed';

export const AUDIT_ACTIONS = ['create', 'update', 'verify'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const HISTORY_DEFAULT_LIMIT = 20;
export const HISTORY_MAX_LIMIT = 100;

export const TEST_EMAIL_SUBJECT = 'mailgate test email';

export function testEmailText(type: ProviderType): string {
  return [
    'This is a test message from mailgate.',
    '',
    `It was sent through your tenant's email provider configuration (type "${type}") to check that it can deliver mail.`,
    'No action is needed; you can delete this message.',
  ].join('\n');
}
