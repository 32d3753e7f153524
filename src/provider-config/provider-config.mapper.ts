import { Injectable } from '@nestjs/common';
import { SecretCipher, SecretDecryptionError } from '../common/secret-cipher';
import type { ProviderTransportConfig } from '../transports/provider-adapters';
import {
  effectiveConcurrency,
  type ProviderConcurrencySettings,
} from '../transports/provider-concurrency';
import type { PlainProviderConfig } from './audit-diff';
import type {
  EmailProviderDto,
  ProviderConfigAuditEntryDto,
  ProviderHealthDto,
} from './dto/email-provider.dto';
import type { HealthRow } from './provider-config.repository';
import type { ProviderConfigAuditEntity } from './provider-config-audit.entity';
import {
  BLOCK_KEYS,
  BLOCK_OF_TYPE,
  SECRET_FIELD,
  SECRET_MASK,
  type BlockKey,
} from './provider-config.constants';
import type { ProviderConfigEntity } from './provider-config.entity';
import type { ProviderBlocks } from './provider-config.types';
import { PROVIDER_DESCRIPTORS, PROVIDER_OF_TYPE, type BlockOf } from './provider-descriptors';
import type { ProviderType } from './provider-type.enum';
import { UNREADABLE_SECRET } from './secret-merge';

/** The circuit of the saved version; without a row of that version it is closed since the save. */
export function toHealth(row: ProviderConfigEntity, health: HealthRow | null): ProviderHealthDto {
  if (health === null) {
    return {
      state: 'closed',
      since: row.updatedAt.toISOString(),
      consecutiveFailures: 0,
      lastError: null,
      reason: null,
      retryAt: null,
    };
  }
  const lastError = health.lastError;
  return {
    state: health.state,
    since: health.since.toISOString(),
    consecutiveFailures: health.consecutiveFailures,
    // Only the classified fields: what the transport layer made safe to show.
    lastError:
      lastError === null
        ? null
        : {
            class: lastError.class,
            code: lastError.code,
            ...(lastError.status === undefined || lastError.status === null
              ? {}
              : { status: lastError.status }),
            message: lastError.message,
          },
    reason: health.state === 'closed' ? null : health.reason,
    retryAt: health.state === 'open' ? (health.retryAt?.toISOString() ?? null) : null,
  };
}

/** The blocks as a request carries them (validated DTOs, secrets plaintext or the mask). */
export type BlocksInput = ProviderBlocks;

type AnyBlock = Record<string, unknown>;

function mapSecrets(
  blocks: ProviderBlocks,
  fn: (key: BlockKey, secret: string) => string,
): ProviderBlocks {
  const out: Record<string, AnyBlock> = {};
  for (const key of BLOCK_KEYS) {
    const block = blocks[key] as AnyBlock | undefined;
    if (block !== undefined) {
      const field = SECRET_FIELD[key];
      out[key] = { ...block, [field]: fn(key, String(block[field])) };
    }
  }
  return out;
}

/**
 * The one place GenAuth-shaped DTOs and stored rows turn into each other: secrets are encrypted
 * on the way in (bound to tenant and field), decrypted only for use, and masked on the way out.
 */
@Injectable()
export class ProviderConfigMapper {
  constructor(private readonly cipher: SecretCipher) {}

  /** Copies the known fields of each given block (each type's descriptor says which). */
  fromInput(input: BlocksInput): ProviderBlocks {
    const blocks: Record<string, object> = {};
    for (const descriptor of PROVIDER_DESCRIPTORS) {
      const block = input[descriptor.block];
      if (block !== undefined) {
        blocks[descriptor.block] = (
          descriptor.fromInput as (block: BlockOf<typeof descriptor>) => object
        )(block);
      }
    }
    return blocks;
  }

  /** Ciphertext of every secret, bound to the tenant and the field so it cannot be moved. */
  encrypt(tenantId: string, blocks: ProviderBlocks): ProviderBlocks {
    return mapSecrets(blocks, (key, secret) =>
      this.cipher.encrypt(secret, associatedData(tenantId, key)),
    );
  }

  /** Plaintext of every stored secret; one that cannot be decrypted becomes UNREADABLE_SECRET. */
  decrypt(tenantId: string, blocks: ProviderBlocks): ProviderBlocks {
    return mapSecrets(blocks, (key, ciphertext) => {
      try {
        return this.cipher.decrypt(ciphertext, associatedData(tenantId, key));
      } catch (error) {
        if (error instanceof SecretDecryptionError) {
          return UNREADABLE_SECRET;
        }
        throw error;
      }
    });
  }

  /** The stored row as a plaintext config (for merging, diffing and using). */
  toPlain(row: ProviderConfigEntity): PlainProviderConfig {
    return {
      type: row.type,
      enabled: row.enabled,
      fallbackOnFailure: row.fallbackOnFailure,
      concurrency: row.concurrency,
      rateLimit: row.rateLimit,
      blocks: this.decrypt(row.tenantId, row.config),
    };
  }

  /** GenAuth's EmailProviderDto with every secret masked, plus mailgate's extras. */
  toDto(row: ProviderConfigEntity, health?: HealthRow | null): EmailProviderDto {
    const masked = mapSecrets(row.config, () => SECRET_MASK);
    const blocks: Record<string, object> = {};
    for (const descriptor of PROVIDER_DESCRIPTORS) {
      const block = masked[descriptor.block];
      if (block !== undefined) {
        blocks[descriptor.block] = (
          descriptor.toAnswer as (block: BlockOf<typeof descriptor>) => object
        )(block);
      }
    }
    return {
      enabled: row.enabled,
      type: row.type,
      ...blocks,
      fallbackOnFailure: row.fallbackOnFailure,
      concurrency: effectiveConcurrency(row.type, row.concurrency),
      rateLimit: row.rateLimit,
      version: row.version,
      lastVerifiedAt: row.lastVerifiedAt?.toISOString() ?? null,
      lastVerifyError: row.lastVerifyError ?? null,
      updatedAt: row.updatedAt.toISOString(),
      health: toHealth(row, health ?? null),
    };
  }

  toAuditEntry(row: ProviderConfigAuditEntity): ProviderConfigAuditEntryDto {
    return {
      id: String(row.id),
      version: row.version,
      action: row.action,
      actorKeyId: row.actorKeyId,
      changes: row.changes,
      createdAt: row.createdAt.toISOString(),
    };
  }
}

/** What a secret's ciphertext is bound to: moving it to another tenant or field fails to decrypt. */
export function associatedData(tenantId: string, key: BlockKey): string {
  return `email_provider_configs|${tenantId}|${key}.${SECRET_FIELD[key]}`;
}

/** The transport's view of the chosen type's block, or null when that block is absent. */
export function toResolved(
  type: ProviderType,
  blocks: ProviderBlocks,
  concurrency: ProviderConcurrencySettings = {},
): ProviderTransportConfig | null {
  const descriptor = PROVIDER_OF_TYPE[type];
  const block = blocks[descriptor.block];
  if (block === undefined) {
    return null;
  }
  // The descriptor of `type` maps that type's block; TypeScript cannot pair them through the union.
  const options = (descriptor.toTransport as (block: object) => object)(block);
  const resolved = { type, options } as ProviderTransportConfig;
  // Settings are stored only where they differ from the defaults; none means the defaults.
  return Object.keys(concurrency).length === 0 ? resolved : { ...resolved, concurrency };
}

/** True when the chosen type's stored secret could not be decrypted. */
export function hasUnreadableSecret(type: ProviderType, blocks: ProviderBlocks): boolean {
  const key = BLOCK_OF_TYPE[type];
  const block = blocks[key] as AnyBlock | undefined;
  return block !== undefined && block[SECRET_FIELD[key]] === UNREADABLE_SECRET;
}
