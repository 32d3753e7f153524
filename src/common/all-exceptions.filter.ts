import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiCode } from './api-code.enum';
import { AppException } from './app.exception';
import { isDatabaseUnavailable } from './database-unavailable';
import { isGenAuthRoute, isUnwrappedRoute, type Envelope } from './envelope';
import { markErrorEnvelope } from './envelope.hook';

interface Resolved {
  status: number;
  apiCode: ApiCode;
  message: string;
  data: unknown;
  headers: Record<string, string>;
}

const HTTP_TO_CODE: Record<number, ApiCode> = {
  400: ApiCode.MalformedBody,
  401: ApiCode.Unauthenticated,
  403: ApiCode.MissingScope,
  404: ApiCode.NotFound,
  405: ApiCode.MethodNotAllowed,
  409: ApiCode.Conflict,
  413: ApiCode.PayloadTooLarge,
  415: ApiCode.UnsupportedMediaType,
  429: ApiCode.RateLimited,
  503: ApiCode.Unavailable,
};

export function resolveError(error: unknown): Resolved | undefined {
  if (error instanceof AppException) {
    return {
      status: error.status,
      apiCode: error.apiCode,
      message: error.message,
      data: error.data,
      headers: error.headers,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const body = error.getResponse();
    const message =
      status === 404
        ? 'Route not found'
        : typeof body === 'string'
          ? body
          : typeof (body as { message?: unknown }).message === 'string'
            ? (body as { message: string }).message
            : error.message;
    return {
      status,
      apiCode: status === 404 ? ApiCode.RouteNotFound : (HTTP_TO_CODE[status] ?? ApiCode.Internal),
      message: status >= 500 ? 'Internal server error' : message,
      data: null,
      headers: {},
    };
  }
  if (isDatabaseUnavailable(error)) {
    // An outage, not a bug: the client should retry; nothing was acknowledged.
    return {
      status: 503,
      apiCode: ApiCode.Unavailable,
      message: 'The database is unavailable; retry shortly (an Idempotency-Key makes a retry safe)',
      data: null,
      headers: { 'retry-after': '1' },
    };
  }
  return undefined;
}

export function buildErrorEnvelope(
  error: unknown,
  requestId: string,
  log?: Logger,
): { status: number; body: Envelope; headers: Record<string, string> } {
  const resolved = resolveError(error) ?? {
    status: 500,
    apiCode: ApiCode.Internal,
    // Never a stack or a provider's raw reply: the request id leads to the log line.
    message: `Internal server error (request id ${requestId})`,
    data: null,
    headers: {},
  };
  if (resolved.status >= 500) {
    log?.error({ err: error, requestId }, 'unhandled error');
  }
  return {
    status: resolved.status,
    headers: resolved.headers,
    body: markErrorEnvelope({
      statusCode: resolved.status,
      message: resolved.message,
      apiCode: resolved.apiCode,
      requestId,
      data: resolved.data,
    }),
  };
}

/** One error shape for everything: GenAuth's envelope; `/api/v3` answers HTTP 200 like GenAuth. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    // Terminus answers 503 by throwing its report: probes get that report untouched.
    if (isUnwrappedRoute(request.url) && error instanceof HttpException) {
      void reply.status(error.getStatus()).send(error.getResponse());
      return;
    }
    const { status, body, headers } = buildErrorEnvelope(error, request.id, this.log);
    void reply
      .headers(headers)
      .status(isGenAuthRoute(request.url) ? 200 : status)
      .send(body);
  }
}
