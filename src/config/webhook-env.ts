/** Tuning of webhook delivery (WEBHOOK_* variables), parsed with the rest of the environment. */
export interface WebhookEnv {
  /** Deliveries in flight per replica. */
  concurrency: number;
  /** Deliveries in flight to one endpoint across all replicas (a slow receiver holds no more). */
  endpointConcurrency: number;
  /** Wait before each retry, in order; after the last one a failing delivery fails. */
  retryScheduleMs: number[];
  /** An endpoint whose attempts have failed this long without a success is disabled. */
  disableAfterMs: number;
  /** Whole request budget of one attempt (connect, TLS, answer). */
  timeoutMs: number;
  /** How often an idle worker looks for due deliveries. */
  pollMs: number;
}

export const WEBHOOK_ENV_VARIABLES = [
  'WEBHOOK_CONCURRENCY',
  'WEBHOOK_ENDPOINT_CONCURRENCY',
  'WEBHOOK_RETRY_SCHEDULE',
  'WEBHOOK_DISABLE_AFTER',
  'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_POLL_MS',
] as const;
type WebhookEnvVariable = (typeof WEBHOOK_ENV_VARIABLES)[number];

/** About 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 10 h: 13 attempts over ~3.2 days. */
export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h,10h,10h,10h,10h,10h';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** `250ms`, `5s`, `5m`, `2h`, `3d`; undefined when malformed. */
export function parseDurationMs(value: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(value.trim());
  return match === null ? undefined : Number(match[1]) * UNIT_MS[match[2]];
}

export function parseWebhookEnv(
  raw: (name: WebhookEnvVariable) => string | undefined,
  problems: string[],
): WebhookEnv {
  const int = (name: WebhookEnvVariable, fallback: number, min: number, max: number): number => {
    const value = raw(name);
    if (value === undefined) {
      return fallback;
    }
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  };
  const scheduleText = raw('WEBHOOK_RETRY_SCHEDULE') ?? DEFAULT_RETRY_SCHEDULE;
  const parsed = scheduleText.split(',').map(parseDurationMs);
  let retryScheduleMs = parsed.filter((ms): ms is number => ms !== undefined);
  if (retryScheduleMs.length !== parsed.length || parsed.length > 50) {
    problems.push(
      'WEBHOOK_RETRY_SCHEDULE must be up to 50 comma-separated durations such as 5s,5m,2h',
    );
    retryScheduleMs = DEFAULT_RETRY_SCHEDULE.split(',').map((d) => parseDurationMs(d) ?? 0);
  }
  let disableAfterMs = parseDurationMs(raw('WEBHOOK_DISABLE_AFTER') ?? '3d');
  if (disableAfterMs === undefined) {
    problems.push('WEBHOOK_DISABLE_AFTER must be a duration such as 3d or 72h');
    disableAfterMs = 3 * UNIT_MS.d;
  }
  return {
    concurrency: int('WEBHOOK_CONCURRENCY', 32, 1, 1024),
    endpointConcurrency: int('WEBHOOK_ENDPOINT_CONCURRENCY', 4, 1, 256),
    retryScheduleMs,
    disableAfterMs,
    timeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    pollMs: int('WEBHOOK_POLL_MS', 1_000, 10, 60_000),
  };
}
