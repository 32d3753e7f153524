export interface TokenBucketsOptions {
  /** Tokens added per second; also the sustained rate. Must be > 0. */
  ratePerSecond: number;
  /** Bucket size: the burst allowed after a quiet period. Must be >= 1. */
  capacity: number;
  /** Most buckets kept; at the limit full buckets are swept, then the least recently used dropped. */
  maxEntries?: number;
  now?: () => number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this call. */
  remaining: number;
  /** When refused: milliseconds until one token is back. 0 when allowed. */
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * One token bucket per key (an API key id, an IP…), in memory. A missing bucket is a full one, so
 * buckets that refilled can be dropped at any time without changing behaviour; that keeps the
 * map bounded under floods of distinct keys.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly ratePerMs: number;
  private readonly capacity: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: TokenBucketsOptions) {
    if (!(options.ratePerSecond > 0) || !(options.capacity >= 1)) {
      throw new Error('TokenBuckets needs ratePerSecond > 0 and capacity >= 1');
    }
    this.ratePerMs = options.ratePerSecond / 1000;
    this.capacity = options.capacity;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  /** Takes `cost` tokens if the bucket holds them; otherwise takes nothing and says when to retry. */
  take(key: string, cost = 1): TakeResult {
    const bucket = this.refilled(key);
    const allowed = bucket.tokens >= cost;
    if (allowed) {
      bucket.tokens -= cost;
    }
    // Stored either way: a refused client is the most recently used, never the first dropped.
    this.store(key, bucket);
    if (allowed) {
      return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 };
    }
    return {
      allowed: false,
      remaining: Math.floor(bucket.tokens),
      retryAfterMs: Math.ceil((cost - bucket.tokens) / this.ratePerMs),
    };
  }

  /** Whether `cost` tokens are there, without taking them. */
  peek(key: string, cost = 1): TakeResult {
    const bucket = this.refilled(key);
    return bucket.tokens >= cost
      ? { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterMs: 0 }
      : {
          allowed: false,
          remaining: Math.floor(bucket.tokens),
          retryAfterMs: Math.ceil((cost - bucket.tokens) / this.ratePerMs),
        };
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string): Bucket {
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (bucket === undefined) {
      return { tokens: this.capacity, at: now };
    }
    const elapsed = Math.max(0, now - bucket.at);
    return { tokens: Math.min(this.capacity, bucket.tokens + elapsed * this.ratePerMs), at: now };
  }

  private store(key: string, bucket: Bucket): void {
    // Re-inserting keeps the Map in least-recently-used order.
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxEntries) {
      this.sweep();
    }
    this.buckets.set(key, bucket);
  }

  /**
   * Drops full buckets, then the least recently used ones until a tenth of the room is free, so
   * the O(n) walk happens at most once per maxEntries/10 new keys.
   */
  private sweep(): void {
    const now = this.now();
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.ratePerMs >= this.capacity) {
        this.buckets.delete(key);
      }
    }
    const target = Math.floor(this.maxEntries * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) {
        break;
      }
      this.buckets.delete(key);
    }
  }
}
