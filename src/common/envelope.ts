/** GenAuth's response envelope, used by every JSON route except health, metrics and docs. */
export interface Envelope<T = unknown> {
  statusCode: number;
  message: string;
  apiCode?: number;
  requestId: string;
  data: T;
}

/** Routes under this prefix answer HTTP 200 with the outcome in `statusCode`, as GenAuth does. */
export const GENAUTH_PREFIX = '/api/v3';

/** Routes whose responses are not wrapped: probes, Prometheus and the OpenAPI document/UI. */
export const UNWRAPPED_PREFIXES = ['/health', '/metrics', '/docs', '/console'];

export function isGenAuthRoute(url: string): boolean {
  return url === GENAUTH_PREFIX || url.startsWith(`${GENAUTH_PREFIX}/`);
}

export function isUnwrappedRoute(url: string): boolean {
  return UNWRAPPED_PREFIXES.some(
    (p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`),
  );
}
