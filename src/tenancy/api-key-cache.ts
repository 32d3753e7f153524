import type { ApiKeyEntity as ApiKeyRecord } from './api-key.entity';

interface Entry {
  /** null caches "no such key", so floods of random key ids do not each reach the database. */
  record: ApiKeyRecord | null;
  expiresAt: number;
  /** The decrypted secret, kept only as long as the entry (signature checks need it). */
  secret?: string;
}

export interface ApiKeyCacheOptions {
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Short-lived in-memory cache of key lookups on the hot send path. An entry lives `ttlMs`
 * (5 s by default): revoking on another replica takes effect here within that window, and at once
 * on the replica that revoked (it calls `invalidate`). Concurrent misses share one load.
 */
export class ApiKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ApiKeyRecord | null>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async get(
    keyId: string,
    load: (keyId: string) => Promise<ApiKeyRecord | null>,
  ): Promise<ApiKeyRecord | null> {
    const entry = this.fresh(keyId);
    if (entry !== undefined) {
      return entry.record;
    }
    let pending = this.loading.get(keyId);
    if (pending === undefined) {
      // Only the load still registered may fill the cache: `invalidate` during a load wins.
      const settle = (): boolean => {
        const current = this.loading.get(keyId) === pending;
        if (current) {
          this.loading.delete(keyId);
        }
        return current;
      };
      pending = load(keyId).then(
        (record) => {
          if (settle()) {
            this.store(keyId, record);
          }
          return record;
        },
        (error: unknown) => {
          settle();
          throw error;
        },
      );
      this.loading.set(keyId, pending);
    }
    return pending;
  }

  /** The key's plaintext secret, decrypted once per entry lifetime. */
  secretOf(record: ApiKeyRecord, decrypt: (record: ApiKeyRecord) => string): string {
    const entry = this.fresh(record.id);
    if (entry?.record === record) {
      entry.secret ??= decrypt(record);
      return entry.secret;
    }
    return decrypt(record);
  }

  invalidate(keyId: string): void {
    this.entries.delete(keyId);
    this.loading.delete(keyId);
  }

  private fresh(keyId: string): Entry | undefined {
    const entry = this.entries.get(keyId);
    if (entry !== undefined && entry.expiresAt <= this.now()) {
      this.entries.delete(keyId);
      return undefined;
    }
    return entry;
  }

  private store(keyId: string, record: ApiKeyRecord | null): void {
    if (this.ttlMs <= 0) {
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) {
        this.entries.delete(oldest.value);
      }
    }
    this.entries.set(keyId, { record, expiresAt: this.now() + this.ttlMs });
  }
}
