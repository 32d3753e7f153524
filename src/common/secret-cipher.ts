import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** One entry of MAILGATE_SECRET_KEY. */
export interface SecretKey {
  /** Short id stored as the prefix of every ciphertext so keys can rotate. */
  id: string;
  key: Buffer;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;

/** Associated data of a sensitive message's sealed content: bound to its tenant. */
export function messageContentAssociatedData(tenantId: string): string {
  return `email-content:${tenantId}`;
}

export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/**
 * AES-256-GCM for secrets at rest. Ciphertext: `<key id>:<iv b64url>:<tag b64url>:<data b64url>`;
 * the key id lets MAILGATE_SECRET_KEY rotate (new key first, old ones kept to decrypt).
 */
export class SecretCipher {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly SecretKey[]) {
    if (keys.length === 0) {
      throw new Error('SecretCipher needs at least one key');
    }
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  encrypt(plaintext: string, associatedData = ''): string {
    const current = this.keys[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, current.key, iv);
    // Associated data binds a ciphertext to its place (e.g. tenant + field): it cannot be moved.
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      current.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join(':');
  }

  decrypt(ciphertext: string, associatedData = ''): string {
    const parts = ciphertext.split(':');
    if (parts.length !== 4) {
      throw new SecretDecryptionError('stored secret is not in the expected format');
    }
    const [keyId, iv, tag, data] = parts;
    const key = this.byId.get(keyId);
    if (key === undefined) {
      throw new SecretDecryptionError(
        `stored secret was encrypted with key "${keyId}", which MAILGATE_SECRET_KEY does not hold`,
      );
    }
    try {
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(data, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(
        `stored secret could not be decrypted with key "${keyId}" (wrong MAILGATE_SECRET_KEY?)`,
      );
    }
  }

  /** The key new ciphertexts (and keyed hashes) use. */
  currentKey(): SecretKey {
    return this.keys[0];
  }

  keyById(id: string): Buffer | undefined {
    return this.byId.get(id);
  }

  /** True when the ciphertext was made with an older key and should be re-encrypted. */
  isStale(ciphertext: string): boolean {
    return !ciphertext.startsWith(`${this.keys[0].id}:`);
  }
}
