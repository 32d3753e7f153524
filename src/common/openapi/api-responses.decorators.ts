import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiQuery, ApiResponse, type ApiResponseExamples } from '@nestjs/swagger';
import { envelopeOf, errorEnvelopeOf, type Schema } from './api-schemas';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/** `true` takes the default description; a string says what this route means by the status. */
export type ErrorSpec = Partial<Record<ErrorStatus, string | true>>;

const DEFAULT_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Validation failed (data.errors names every failing field; a root-key request also needs x-authing-userpool-id) or malformed JSON',
  401: 'Missing or unknown API key, bad or expired signature, or a replayed nonce',
  403: 'The key lacks the required scope, or names another tenant',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported Content-Type (send application/json)',
  429: 'Rate limited (requests per API key, or repeated failed authentications): retry after Retry-After seconds',
  500: 'Internal error: the message carries the request id, never details',
  503: 'Unavailable',
};

/** What every authenticated route can answer, whatever it does. */
export const AUTH_ERRORS: ErrorSpec = { 400: true, 401: true, 403: true, 429: true, 500: true };

/** What a route that parses a JSON body can answer on top. */
export const BODY_ERRORS: ErrorSpec = { 400: true, 413: true, 415: true };

function entries(spec: ErrorSpec): Array<[ErrorStatus, string]> {
  return Object.entries<string | true>(spec)
    .map(([status, d]): [ErrorStatus, string] => {
      const code = Number(status) as ErrorStatus;
      return [code, d === true ? DEFAULT_DESCRIPTIONS[code] : d];
    })
    .sort(([a], [b]) => a - b);
}

/** Error answers of a `/v1` route: the HTTP status equals the envelope's statusCode. */
export function ApiErrors(...specs: ErrorSpec[]): ClassDecorator & MethodDecorator {
  const merged = Object.assign({}, ...specs) as ErrorSpec;
  return applyDecorators(
    ...entries(merged).map(([status, description]) =>
      ApiResponse({ status, description, schema: errorEnvelopeOf(status) }),
    ),
  );
}

/** The `cursor` and `limit` query of a paged `/v1` list. */
export function ApiPageQuery(maximum = 200, defaultLimit = 50): MethodDecorator {
  return applyDecorators(
    // listed bottom-up as stacked decorators apply, so the document keeps its parameter order
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum, default: defaultLimit },
    }),
    ApiQuery({ name: 'cursor', required: false, description: '`nextCursor` of the previous page' }),
  );
}

/** A successful `/v1` answer: the envelope with `data`. */
export function ApiEnvelope(
  status: number,
  data: Schema,
  description: string,
  examples?: Record<string, ApiResponseExamples>,
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    schema: envelopeOf(data),
    ...(examples && { examples }),
  });
}

/**
 * A GenAuth-compatible `/api/v3` route: every answer is HTTP 200 and the envelope's statusCode
 * says 200 or which error, as `authing-node-sdk` expects. The error codes are also listed in
 * `x-genauth-error-status-codes`.
 */
export function ApiGenAuth(options: {
  data: Schema;
  description: string;
  nullable?: boolean;
  errors: ErrorSpec;
  examples?: Record<string, ApiResponseExamples>;
}): MethodDecorator {
  const errors = entries({ ...AUTH_ERRORS, ...options.errors });
  const listed = errors.map(([status, description]) => `${status} (${description})`).join('; ');
  return applyDecorators(
    ApiResponse({
      status: 200,
      description: `${options.description}. Errors answer HTTP 200 too, with envelope statusCode ${listed}.`,
      schema: {
        oneOf: [
          envelopeOf(options.data, options.nullable),
          ...errors.map(([status]) => errorEnvelopeOf(status)),
        ],
      },
      ...(options.examples && { examples: options.examples }),
    }),
    ApiExtension(
      'x-genauth-error-status-codes',
      errors.map(([status]) => status),
    ),
  );
}

/** Unwrapped routes (metrics, docs): only an unexpected failure, as the error envelope. */
export function ApiServerError(): MethodDecorator & ClassDecorator {
  return ApiErrors({ 500: true });
}
