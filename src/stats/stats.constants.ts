/** Windows of GET /v1/stats: how far back, and the width of one chart bucket. */
export const STATS_WINDOWS = {
  '1h': { spanMs: 60 * 60_000, bucketMs: 60_000 },
  '24h': { spanMs: 24 * 60 * 60_000, bucketMs: 60 * 60_000 },
} as const;
export type StatsWindow = keyof typeof STATS_WINDOWS;

/** The outcomes the overview counts, as `email_events` types. */
export const STATS_OUTCOMES = ['sent', 'deferred', 'failed', 'bounced'] as const;
export type StatsOutcome = (typeof STATS_OUTCOMES)[number];

/** Latency percentiles come from the newest sends of the window, at most this many. */
export const LATENCY_SAMPLE = 2_000;
/** The queue is counted up to this many (an index scan bounded however large the backlog). */
export const QUEUE_COUNT_CAP = 10_000;
/** An hour is rolled up once it ended this long ago (events of late-committing transactions). */
export const ROLLUP_SETTLE_MS = 5 * 60_000;
/**
 * A minute is rolled up once it ended this long ago: an event's time is its transaction's start,
 * and the dispatcher's and accept's transactions are bounded well under this by their timeouts.
 */
export const MINUTE_ROLLUP_SETTLE_MS = 2 * 60_000;
/** Top error codes of the last hour shown. */
export const TOP_ERRORS = 5;
/** Each read gives up rather than pile up behind a slow database. */
export const STATS_STATEMENT_TIMEOUT_MS = 2_000;
