/** Network failures reaching a dependency (node `err.code`). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * PostgreSQL SQLSTATEs meaning "not now": class 08 connection exceptions, 57P01-57P03 (admin or
 * crash shutdown, still starting), 53300 too many connections, and 57014 a read given up at its
 * statement timeout (the database is too busy to answer in time: retry, not a bug).
 */
const UNAVAILABLE_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123]|53300|57014)$/;

/** What node-postgres says when a connection dies or cannot be had in time (no code attached). */
const PG_CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/**
 * True when an error that escaped to the HTTP layer means the database cannot be reached right
 * now (down, restarting, out of connections), so the answer is 503 to retry, not a 500 bug.
 * Looks through TypeORM's `driverError`, `cause` and AggregateError's `errors`.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) {
    return false;
  }
  const e = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (
    typeof e.code === 'string' &&
    (NETWORK_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))
  ) {
    return true;
  }
  if (typeof e.message === 'string' && PG_CONNECTION_MESSAGES.test(e.message)) {
    return true;
  }
  const nested: unknown[] = [e.driverError, e.cause];
  if (Array.isArray(e.errors)) {
    nested.push(...(e.errors as unknown[]));
  }
  return nested.some((inner) => isDatabaseUnavailable(inner, depth + 1));
}
