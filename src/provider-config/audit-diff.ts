import type { AuditFieldChange } from './dto/email-provider.dto';
import {
  BLOCK_KEYS,
  BLOCK_OF_TYPE,
  SECRET_CHANGED,
  SECRET_FIELD,
  SECRET_REMOVED,
  SECRET_SET,
} from './provider-config.constants';
import type { ProviderConcurrencySettings } from '../transports/provider-concurrency';
import type { ProviderBlocks } from './provider-config.types';
import type { ProviderType } from './provider-type.enum';
import type { SendRateLimit } from './send-rate-limit';

/** A whole configuration with plaintext secrets, as compared for the audit trail. */
export interface PlainProviderConfig {
  type: ProviderType;
  enabled: boolean;
  fallbackOnFailure: boolean;
  /** Only the values that differ from the type's defaults (storedConcurrency). */
  concurrency: ProviderConcurrencySettings;
  /** Null when unlimited (storedRateLimit). */
  rateLimit: SendRateLimit | null;
  blocks: ProviderBlocks;
}

const SECRET_PATHS = new Set<string>(BLOCK_KEYS.map((key) => `${key}.${SECRET_FIELD[key]}`));

/** `{ type, enabled, …, 'smtpConfig.smtp_host': … }`: one entry per leaf field. */
function flatten(config: PlainProviderConfig | null): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (config === null) {
    return out;
  }
  out.set('type', config.type);
  out.set('enabled', config.enabled);
  out.set('fallbackOnFailure', config.fallbackOnFailure);
  for (const [field, value] of Object.entries(config.concurrency)) {
    out.set(`concurrency.${field}`, value);
  }
  for (const [field, value] of Object.entries(config.rateLimit ?? {})) {
    if (value !== null) {
      out.set(`rateLimit.${field}`, value);
    }
  }
  for (const key of BLOCK_KEYS) {
    const block = config.blocks[key] as Record<string, unknown> | undefined;
    for (const [field, value] of Object.entries(block ?? {})) {
      if (value !== undefined) {
        out.set(`${key}.${field}`, value);
      }
    }
  }
  return out;
}

function secretMarker(before: unknown, after: unknown): string {
  if (before === undefined) {
    return SECRET_SET;
  }
  return after === undefined ? SECRET_REMOVED : SECRET_CHANGED;
}

/**
 * What changed between two configurations, by field path: old and new values for ordinary
 * fields, a marker (`secret set` / `secret changed` / `secret removed`) for secrets, whose values
 * never leave this function. Empty when nothing changed.
 */
export function diffConfigs(
  before: PlainProviderConfig | null,
  after: PlainProviderConfig,
): Record<string, AuditFieldChange> {
  const old = flatten(before);
  const next = flatten(after);
  const changes: Record<string, AuditFieldChange> = {};
  const paths = [...new Set([...old.keys(), ...next.keys()])];
  for (const path of paths) {
    const a = old.get(path);
    const b = next.get(path);
    if (a === b) {
      continue;
    }
    changes[path] = SECRET_PATHS.has(path)
      ? secretMarker(a, b)
      : { old: a === undefined ? null : a, new: b === undefined ? null : b };
  }
  return changes;
}

/** True when what a verification checked (the type and its block) differs, so its result is stale. */
export function connectionChanged(
  before: PlainProviderConfig | null,
  after: PlainProviderConfig,
  changes: Record<string, AuditFieldChange>,
): boolean {
  const prefix = `${BLOCK_OF_TYPE[after.type]}.`;
  return (
    before === null ||
    Object.keys(changes).some((path) => path === 'type' || path.startsWith(prefix))
  );
}
