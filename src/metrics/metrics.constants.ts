/** Queue gauges are read from the database at most this often, however often Prometheus scrapes. */
export const QUEUE_STATS_TTL_MS = 5_000;

/** A queue-stats query slower than this is cancelled by PostgreSQL; the scrape answers without it. */
export const QUEUE_STATS_TIMEOUT_MS = 2_000;

/** Send attempts: fast API calls to SMTP sessions near the 10 s transport timeouts and the lease backstop. */
export const ATTEMPT_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
