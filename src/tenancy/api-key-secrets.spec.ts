import type { SecretKey } from '../common/secret-cipher';
import { ApiKeySecretHasher, generateKeyId, generateSecret } from './api-key-secrets';
import { KEY_ID_RE } from './tenancy.constants';

const k1: SecretKey = { id: 'k1', key: Buffer.alloc(32, 1) };
const k2: SecretKey = { id: 'k2', key: Buffer.alloc(32, 2) };

describe('key ids and secrets', () => {
  it('generates mgk_ ids and 32-byte base64url secrets, all distinct', () => {
    const ids = new Set(Array.from({ length: 50 }, generateKeyId));
    const secrets = new Set(Array.from({ length: 50 }, generateSecret));
    expect(ids.size).toBe(50);
    expect(secrets.size).toBe(50);
    for (const id of ids) {
      expect(id).toMatch(KEY_ID_RE);
    }
    for (const secret of secrets) {
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    }
  });
});

describe('ApiKeySecretHasher', () => {
  const hasher = new ApiKeySecretHasher([k1]);
  const secret = generateSecret();

  it('stores a keyed hash tagged with the secret key id, never the secret', () => {
    const hash = hasher.hash('mgk_0000000000000001', secret);
    expect(hash).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(secret);
    expect(hasher.verify('mgk_0000000000000001', secret, hash)).toBe(true);
  });

  it('refuses a wrong secret, another key id, a foreign or malformed hash', () => {
    const hash = hasher.hash('mgk_0000000000000001', secret);
    expect(hasher.verify('mgk_0000000000000001', `${secret}x`, hash)).toBe(false);
    expect(hasher.verify('mgk_0000000000000002', secret, hash)).toBe(false);
    expect(
      new ApiKeySecretHasher([{ id: 'k1', key: Buffer.alloc(32, 9) }]).verify(
        'mgk_0000000000000001',
        secret,
        hash,
      ),
    ).toBe(false);
    expect(hasher.verify('mgk_0000000000000001', secret, 'no-colon')).toBe(false);
    expect(hasher.verify('mgk_0000000000000001', secret, 'k9:abc')).toBe(false);
    expect(hasher.verify('mgk_0000000000000001', secret, 'k1:')).toBe(false);
  });

  it('keeps verifying hashes of an older MAILGATE_SECRET_KEY while it is listed', () => {
    const old = hasher.hash('mgk_0000000000000001', secret);
    const rotated = new ApiKeySecretHasher([k2, k1]);
    expect(rotated.verify('mgk_0000000000000001', secret, old)).toBe(true);
    expect(rotated.hash('mgk_0000000000000001', secret)).toMatch(/^k2:/);
    expect(new ApiKeySecretHasher([k2]).verify('mgk_0000000000000001', secret, old)).toBe(false);
  });
});
