import fc from 'fast-check';
import { TokenBuckets } from './token-buckets';

describe('TokenBuckets', () => {
  let now: number;
  const buckets = (ratePerSecond: number, capacity: number, maxEntries?: number): TokenBuckets =>
    new TokenBuckets({ ratePerSecond, capacity, maxEntries, now: () => now });

  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows a full burst at once, then refuses with the time until one token is back', () => {
    const b = buckets(10, 5);
    for (let i = 0; i < 5; i += 1) {
      expect(b.take('k').allowed).toBe(true);
    }
    expect(b.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 100 });
    now += 99;
    expect(b.take('k').allowed).toBe(false);
    now += 1;
    expect(b.take('k')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('refills at the rate and never above the capacity', () => {
    const b = buckets(2, 4);
    for (let i = 0; i < 4; i += 1) {
      b.take('k');
    }
    now += 1_000;
    expect(b.peek('k').remaining).toBe(2);
    now += 60_000;
    expect(b.peek('k').remaining).toBe(4);
  });

  it('keeps keys apart', () => {
    const b = buckets(1, 1);
    expect(b.take('a').allowed).toBe(true);
    expect(b.take('a').allowed).toBe(false);
    expect(b.take('b').allowed).toBe(true);
  });

  it('peek takes nothing', () => {
    const b = buckets(1, 1);
    expect(b.peek('a').allowed).toBe(true);
    expect(b.peek('a').allowed).toBe(true);
    expect(b.take('a').allowed).toBe(true);
    expect(b.peek('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1_000 });
  });

  it('stays bounded under a flood of distinct keys, keeping recently used ones', () => {
    const b = buckets(1, 1, 100);
    b.take('hot');
    for (let i = 0; i < 1_000; i += 1) {
      b.take(`k${i}`);
      if (i % 50 === 0) {
        // Keeps "hot" recently used; its bucket is empty, so dropping it would reset it.
        expect(b.take('hot').allowed).toBe(false);
      }
      expect(b.size).toBeLessThanOrEqual(100);
    }
    expect(b.take('hot').allowed).toBe(false);
  });

  it('never allows more than capacity + rate x elapsed (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 300 }),
        (rate, capacity, gaps) => {
          now = 0;
          const b = buckets(rate, capacity);
          let allowed = 0;
          for (const gap of gaps) {
            now += gap;
            if (b.take('k').allowed) {
              allowed += 1;
            }
          }
          return allowed <= capacity + Math.floor((rate * now) / 1000);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses nonsense settings', () => {
    expect(() => buckets(0, 1)).toThrow(/ratePerSecond/);
    expect(() => buckets(1, 0)).toThrow(/capacity/);
  });
});
