import {
  PROVIDER_DESCRIPTORS,
  type AnyProviderDescriptor,
  type BlockKey,
} from './provider-descriptors';
import type { ProviderType } from './provider-type.enum';

export type { BlockKey } from './provider-descriptors';

/** What reads show instead of a secret; posting it back means "keep the stored one". */
export const SECRET_MASK = '********';

/** The seed's config blocks, in the order GenAuth lists them. */
export const BLOCK_KEYS: readonly BlockKey[] = PROVIDER_DESCRIPTORS.map((d) => d.block);

/** The block each provider type sends with. */
export const BLOCK_OF_TYPE = Object.fromEntries(
  PROVIDER_DESCRIPTORS.map((d) => [d.type, d.block]),
) as Readonly<Record<ProviderType, BlockKey>>;

/** The one secret field of each block. */
export const SECRET_FIELD = Object.fromEntries(
  PROVIDER_DESCRIPTORS.map((d) => [d.block, d.secretField]),
) as Readonly<Record<BlockKey, AnyProviderDescriptor['secretField']>>;

/**
 * Fields a stored secret is bound to: changing one while posting the mask would send the kept
 * secret to another server or login, so the secret must be sent again.
 */
export const SECRET_BINDING_FIELDS = Object.fromEntries(
  PROVIDER_DESCRIPTORS.map((d) => [d.block, d.bindingFields]),
) as Readonly<Record<BlockKey, readonly string[]>>;

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
