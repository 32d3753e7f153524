/** The circuit of one tenant's provider (table provider_health), as the state machine sees it. */
export interface CircuitRow {
  state: 'closed' | 'open' | 'half_open';
  /** Why it is open: failures in a row (a cool-down), or an auth failure (until config or verify). */
  reason: 'failures' | 'auth' | null;
  consecutiveFailures: number;
  /** Openings since the last success. */
  trips: number;
  probeMessageId: string | null;
}

export interface CircuitSettings {
  failureThreshold: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

/** What one failure changes; the repository writes it (times from the database clock). */
export interface CircuitChange {
  row: CircuitRow;
  /** The state changed (`since` becomes now). */
  transition: boolean;
  /** Open after failures: the cool-down from now; null leaves `retry_at` as it is (auth: cleared). */
  cooldownMs: number | null;
}

/** The cool-down of the n-th opening in a row: the first, doubled each time, capped. */
export function cooldownOf(trips: number, settings: CircuitSettings): number {
  return Math.min(settings.maxCooldownMs, settings.cooldownMs * 2 ** Math.max(0, trips - 1));
}

/**
 * One failed send through the provider. `auth` opens at once until the config changes or a
 * verify succeeds; transient/rate_limited failures open after `failureThreshold` in a row, and
 * the failed probe of a half-open circuit opens it again for a longer cool-down. Failures of
 * other messages while open or half open (sends already under way) only count.
 */
export function afterFailure(
  row: CircuitRow,
  failure: { auth: boolean; messageId: string },
  settings: CircuitSettings,
): CircuitChange {
  const consecutiveFailures = row.consecutiveFailures + 1;
  if (failure.auth) {
    return {
      row: { ...row, state: 'open', reason: 'auth', consecutiveFailures, probeMessageId: null },
      transition: row.state !== 'open' || row.reason !== 'auth',
      cooldownMs: null,
    };
  }
  const probeFailed = row.state === 'half_open' && row.probeMessageId === failure.messageId;
  const tripped = row.state === 'closed' && consecutiveFailures >= settings.failureThreshold;
  if (probeFailed || tripped) {
    const trips = row.trips + 1;
    return {
      row: {
        state: 'open',
        reason: 'failures',
        consecutiveFailures,
        trips,
        probeMessageId: null,
      },
      transition: true,
      cooldownMs: cooldownOf(trips, settings),
    };
  }
  return { row: { ...row, consecutiveFailures }, transition: false, cooldownMs: null };
}
