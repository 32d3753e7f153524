import { isDatabaseUnavailable } from '../../common/database-unavailable';

/** First pause after a write finds the database away; doubles up to the cap. */
const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 2_000;

export interface UntilLeaseEndsOptions {
  /** Epoch ms at which this worker's lease on the message runs out. */
  leaseEnd: number;
  /** Told of each retry (to log once per outage, not per statement). */
  onRetry?: (error: unknown, pauseMs: number) => void;
  /** Injected in unit tests; a timer otherwise. */
  pause?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Runs a bookkeeping write, and while the database is unreachable (a restart, a failover) runs it
 * again with backoff until the message's lease runs out. A send that reached the provider during
 * a short outage is then recorded when the database is back instead of being sent again when the
 * lease expires; only an outage longer than the lease can still cause a duplicate. Errors that
 * are not about reaching the database (a constraint, a bug) are thrown at once.
 */
export async function untilLeaseEnds<T>(
  write: () => Promise<T>,
  options: UntilLeaseEndsOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const pause =
    options.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let pauseMs = FIRST_PAUSE_MS; ; pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS)) {
    try {
      return await write();
    } catch (error) {
      const left = options.leaseEnd - now();
      if (!isDatabaseUnavailable(error) || left <= 0) {
        throw error;
      }
      const wait = Math.min(pauseMs, left);
      options.onRetry?.(error, wait);
      await pause(wait);
    }
  }
}
