import { isGenAuthRoute, isUnwrappedRoute, type Envelope } from './envelope';

/** Error envelopes built by buildErrorEnvelope: already wrapped, sent as they are. */
const errorEnvelopes = new WeakSet<object>();

export function markErrorEnvelope<T extends object>(body: T): T {
  errorEnvelopes.add(body);
  return body;
}

/**
 * GenAuth's envelope around a successful JSON answer (health, metrics, docs and the console
 * excepted); `/api/v3` answers HTTP 200 with the outcome in `statusCode`. Runs as fastify's
 * preSerialization hook (app.factory.ts) rather than a Nest interceptor: the interceptor's rxjs
 * pipeline and async-context bindings cost about a fifth of an accept (bench/README.md).
 */
export function wrapEnvelope(
  request: { url: string; id: string },
  reply: { statusCode: number; status(code: number): unknown },
  payload: unknown,
): unknown {
  if (
    (typeof payload === 'object' && payload !== null && errorEnvelopes.has(payload)) ||
    isUnwrappedRoute(request.url)
  ) {
    return payload;
  }
  const statusCode = reply.statusCode;
  if (isGenAuthRoute(request.url)) {
    reply.status(200);
  }
  const envelope: Envelope = {
    statusCode,
    message: 'success',
    requestId: request.id,
    data: payload ?? null,
  };
  return envelope;
}
