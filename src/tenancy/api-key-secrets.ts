import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { SecretKey } from '../common/secret-cipher';
import { constantTimeEqual } from './constant-time';
import { KEY_ID_PREFIX } from './tenancy.constants';

/** 32 random bytes, base64url: the part of the token only the caller keeps. */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function generateKeyId(): string {
  return `${KEY_ID_PREFIX}${randomBytes(8).toString('hex')}`;
}

/** Associated data of a key's encrypted secret: the ciphertext cannot be moved to another key. */
export function secretAssociatedData(keyId: string): string {
  return `api_keys.secret:${keyId}`;
}

const HASH_INFO = 'mailgate api key secret hash v1';

/**
 * HMAC-SHA256 hashes of key secrets for the Bearer check. The HMAC key is derived (HKDF) from
 * MAILGATE_SECRET_KEY, so a leaked table alone cannot be brute-forced offline. Stored as
 * `<secret key id>:<base64url>` so MAILGATE_SECRET_KEY can rotate like the cipher's keys.
 */
export class ApiKeySecretHasher {
  private readonly current: SecretKey;
  private readonly hashKeys: Map<string, Buffer>;

  constructor(keys: readonly SecretKey[]) {
    if (keys.length === 0) {
      throw new Error('ApiKeySecretHasher needs at least one key');
    }
    this.current = keys[0];
    this.hashKeys = new Map(
      keys.map((k) => [
        k.id,
        Buffer.from(hkdfSync('sha256', k.key, Buffer.alloc(0), HASH_INFO, 32)),
      ]),
    );
  }

  hash(keyId: string, secret: string): string {
    return `${this.current.id}:${this.digest(this.current.id, keyId, secret).toString('base64url')}`;
  }

  /** False for a wrong secret and for a hash made with a key MAILGATE_SECRET_KEY no longer holds. */
  verify(keyId: string, secret: string, stored: string): boolean {
    const colon = stored.indexOf(':');
    const hashKeyId = stored.slice(0, colon);
    if (colon <= 0 || !this.hashKeys.has(hashKeyId)) {
      return false;
    }
    const expected = Buffer.from(stored.slice(colon + 1), 'base64url');
    return constantTimeEqual(this.digest(hashKeyId, keyId, secret), expected);
  }

  private digest(hashKeyId: string, keyId: string, secret: string): Buffer {
    // The key id is part of the input: one key's hash cannot stand in for another's.
    return createHmac('sha256', this.hashKeys.get(hashKeyId)!)
      .update(`${keyId}\n${secret}`, 'utf8')
      .digest();
  }
}
