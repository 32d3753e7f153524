import { ApiKeyCache } from './api-key-cache';
import type { ApiKeyEntity } from './api-key.entity';

function key(id: string, revoked = false): ApiKeyEntity {
  return {
    id,
    tenantId: 't1',
    name: null,
    scopes: ['email:send'],
    secretHash: 'k1:hash',
    secretCiphertext: 'k1:iv:tag:data',
    createdBy: 'root',
    createdAt: new Date(0),
    lastUsedAt: null,
    revokedAt: revoked ? new Date(0) : null,
  };
}

describe('ApiKeyCache', () => {
  let now: number;
  let rows: Map<string, ApiKeyEntity>;
  let loads: number;
  const load = async (id: string): Promise<ApiKeyEntity | null> => {
    loads += 1;
    return rows.get(id) ?? null;
  };
  const cache = (ttlMs = 5_000, maxEntries?: number): ApiKeyCache =>
    new ApiKeyCache({ ttlMs, maxEntries, now: () => now });

  beforeEach(() => {
    now = 1_000_000;
    rows = new Map([['mgk_a', key('mgk_a')]]);
    loads = 0;
  });

  it('serves lookups from memory within the window and reloads after it', async () => {
    const c = cache();
    await expect(c.get('mgk_a', load)).resolves.toMatchObject({ id: 'mgk_a' });
    rows.set('mgk_a', key('mgk_a', true));
    now += 4_999;
    await expect(c.get('mgk_a', load)).resolves.toMatchObject({ revokedAt: null });
    now += 1;
    await expect(c.get('mgk_a', load)).resolves.toMatchObject({ revokedAt: new Date(0) });
    expect(loads).toBe(2);
  });

  it('caches unknown keys too', async () => {
    const c = cache();
    await expect(c.get('mgk_x', load)).resolves.toBeNull();
    await expect(c.get('mgk_x', load)).resolves.toBeNull();
    expect(loads).toBe(1);
  });

  it('shares one load between concurrent misses', async () => {
    const c = cache();
    const results = await Promise.all([
      c.get('mgk_a', load),
      c.get('mgk_a', load),
      c.get('mgk_a', load),
    ]);
    expect(new Set(results).size).toBe(1);
    expect(loads).toBe(1);
  });

  it('lets invalidate win over a load in flight', async () => {
    const c = cache();
    let release: (row: ApiKeyEntity) => void = () => undefined;
    const slow = (): Promise<ApiKeyEntity | null> =>
      new Promise((resolve) => {
        release = resolve;
      });
    const pending = c.get('mgk_a', slow);
    c.invalidate('mgk_a');
    release(key('mgk_a'));
    await pending;
    await c.get('mgk_a', load);
    expect(loads).toBe(1);
  });

  it('does not cache failed loads', async () => {
    const c = cache();
    await expect(c.get('mgk_a', () => Promise.reject(new Error('db down')))).rejects.toThrow(
      'db down',
    );
    await expect(c.get('mgk_a', load)).resolves.toMatchObject({ id: 'mgk_a' });
  });

  it('caches nothing with a zero window', async () => {
    const c = cache(0);
    await c.get('mgk_a', load);
    await c.get('mgk_a', load);
    expect(loads).toBe(2);
  });

  it('drops the oldest entry when full', async () => {
    const c = cache(5_000, 2);
    rows.set('mgk_b', key('mgk_b'));
    rows.set('mgk_c', key('mgk_c'));
    await c.get('mgk_a', load);
    await c.get('mgk_b', load);
    await c.get('mgk_c', load);
    expect(loads).toBe(3);
    await c.get('mgk_c', load);
    await c.get('mgk_a', load);
    expect(loads).toBe(4);
  });

  it('decrypts a secret once per entry', async () => {
    const c = cache();
    const record = (await c.get('mgk_a', load))!;
    const decrypt = jest.fn(() => 'plain');
    expect(c.secretOf(record, decrypt)).toBe('plain');
    expect(c.secretOf(record, decrypt)).toBe('plain');
    expect(decrypt).toHaveBeenCalledTimes(1);
    now += 5_000;
    expect(c.secretOf(record, decrypt)).toBe('plain');
    expect(decrypt).toHaveBeenCalledTimes(2);
  });
});
