/** Header naming the tenant (GenAuth userpool id) a root-key request acts on. */
export const TENANT_HEADER = 'x-authing-userpool-id';

/** Tenant ids are GenAuth userpool ids (24 hex characters); anything this safe is accepted. */
export const TENANT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Access key ids: `mgk_` and 16 hex digits (8 random bytes). */
export const KEY_ID_PREFIX = 'mgk_';
export const KEY_ID_RE = /^mgk_[0-9a-f]{16}$/;

/** Signed requests whose `date` is further than this from our clock are refused (GenAuth's window). */
export const SIGNATURE_WINDOW_MS = 15 * 60_000;

/** Nonces are kept this much past the window, for clock skew between replicas. */
export const NONCE_RETENTION_MARGIN_MS = 60_000;

/** Expired nonces are deleted at most this often per replica (opportunistically, after a claim). */
export const NONCE_PRUNE_INTERVAL_MS = 10 * 60_000;

/** `last_used_at` is written at most this often per key (and replica), never per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * How long a key lookup is cached in memory. Revocation takes effect on the revoking replica at
 * once and on every other replica within this window (5 s).
 */
export const DEFAULT_API_KEY_CACHE_TTL_MS = 5_000;

/** Optional injection token overriding DEFAULT_API_KEY_CACHE_TTL_MS (milliseconds). */
export const API_KEY_CACHE_TTL_MS = Symbol('API_KEY_CACHE_TTL_MS');

export function isTenantId(value: string): boolean {
  return TENANT_ID_RE.test(value);
}
