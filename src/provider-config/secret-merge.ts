import { ApiCode } from '../common/api-code.enum';
import { AppException, type FieldError } from '../common/app.exception';
import {
  BLOCK_KEYS,
  SECRET_BINDING_FIELDS,
  SECRET_FIELD,
  SECRET_MASK,
  type BlockKey,
} from './provider-config.constants';
import type { ProviderBlocks } from './provider-config.types';
import { PROVIDER_OF_BLOCK } from './provider-descriptors';

type AnyBlock = Record<string, unknown>;

/**
 * Stands in for a stored secret that can no longer be decrypted (MAILGATE_SECRET_KEY lost or
 * rotated away): never a valid secret, since every secret field must be non-empty.
 */
export const UNREADABLE_SECRET = '';

function blockOf(blocks: ProviderBlocks | undefined, key: BlockKey): AnyBlock | undefined {
  return blocks?.[key] as AnyBlock | undefined;
}

/** Why the mask cannot stand for the stored secret of this block, or undefined when it can. */
function maskRefusal(
  key: BlockKey,
  input: AnyBlock,
  stored: AnyBlock | undefined,
): string | undefined {
  const secretField = SECRET_FIELD[key];
  const storedSecret = stored?.[secretField];
  if (stored === undefined || typeof storedSecret !== 'string') {
    return `no ${key}.${secretField} is stored to keep: send the secret itself, not the mask`;
  }
  if (storedSecret === UNREADABLE_SECRET) {
    return `the stored ${key}.${secretField} cannot be decrypted with the current MAILGATE_SECRET_KEY: send the secret again`;
  }
  const changed = SECRET_BINDING_FIELDS[key].filter((field) => input[field] !== stored[field]);
  changed.push(...(PROVIDER_OF_BLOCK[key].weakenedFields?.(input, stored) ?? []));
  if (changed.length > 0) {
    return `${changed.map((field) => `${key}.${field}`).join(', ')} changed, so the secret must be sent again instead of the mask`;
  }
  return undefined;
}

/**
 * Replaces every masked secret in `input` by the stored plaintext, when the rules allow: the
 * stored secret exists, is readable, and the fields it is bound to (host, port, login) did not
 * change. Otherwise throws SecretRequired naming every such field. `stored` holds plaintext.
 */
export function mergeMaskedSecrets(
  input: ProviderBlocks,
  stored: ProviderBlocks | undefined,
): ProviderBlocks {
  const merged: ProviderBlocks = { ...input };
  const errors: FieldError[] = [];
  for (const key of BLOCK_KEYS) {
    const block = blockOf(input, key);
    const secretField = SECRET_FIELD[key];
    if (block === undefined || block[secretField] !== SECRET_MASK) {
      continue;
    }
    const storedBlock = blockOf(stored, key);
    const refusal = maskRefusal(key, block, storedBlock);
    if (refusal !== undefined) {
      errors.push({ field: `${key}.${secretField}`, messages: [refusal] });
      continue;
    }
    (merged as Record<string, AnyBlock>)[key] = {
      ...block,
      [secretField]: storedBlock?.[secretField],
    };
  }
  if (errors.length > 0) {
    throw new AppException(
      ApiCode.SecretRequired,
      `Secret required: ${errors.map((e) => `${e.field} (${e.messages.join('; ')})`).join(', ')}`,
      { errors },
    );
  }
  return merged;
}
