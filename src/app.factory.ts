import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError } from 'fastify';
import type { Logger } from 'pino';
import { AppModule, type AppOverrides } from './app.module';
import type { ReadyEnv } from './config/env';
import { buildErrorEnvelope } from './common/all-exceptions.filter';
import { ValidationException } from './common/app.exception';
import { isGenAuthRoute } from './common/envelope';
import { wrapEnvelope } from './common/envelope.hook';
import { checkJsonBody } from './common/json-body';
import { PinoNestLogger } from './common/logger';
import { setupOpenApi } from './docs/openapi.setup';
import { PROVIDER_EVENTS_PREFIX, readRaw, type RawBodyRequest } from './events/raw-body';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Room for base64 (4/3) and JSON around the largest message; fastify refuses more before parsing it. */
export function bodyLimitFor(maxMessageBytes: number): number {
  return Math.ceil((maxMessageBytes * 4) / 3) + 1024 * 1024;
}

/** Builds the Nest application (not yet listening): used by main.ts and by the e2e tests. */
export async function createApp(
  env: ReadyEnv,
  logger: Logger,
  overrides: AppOverrides = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: bodyLimitFor(env.limits.maxMessageBytes),
    // A caller's id is kept when it is safe to log; otherwise a fresh one.
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    // JSON bodies may not smuggle prototype keys into objects.
    onProtoPoisoning: 'remove',
    onConstructorPoisoning: 'remove',
    // URLs the router refuses before any hook runs (bad percent-encoding, a path parameter over
    // 100 characters) get the envelope like every other error, not fastify's own body.
    frameworkErrors: (
      error: FastifyError,
      request: { id: string; url: string },
      reply: { raw: ServerResponse },
    ) => {
      const known = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      const { status, body, headers } = buildErrorEnvelope(
        known
          ? new ValidationException([
              {
                field: 'url',
                messages: ['is not a valid URL (bad percent-encoding or a segment too long)'],
              },
            ])
          : error,
        request.id,
      );
      // Written raw, as fastify's own answer would be: no hook has run for this request.
      const payload = JSON.stringify(body);
      reply.raw.writeHead(isGenAuthRoute(request.url) ? 200 : status, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(payload),
        'x-request-id': request.id,
      });
      reply.raw.end(payload);
    },
  });
  const fastify = adapter.getInstance();
  // Other media types answer 415 instead of reaching routes as strings.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('preSerialization', (request, reply, payload, done) => {
    done(null, wrapEnvelope(request, reply, payload));
  });
  const httpLog = logger.child({ module: 'http' });
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Provider event webhooks are verified over the exact bytes received (SendGrid signs timestamp +
  // raw body): keep a copy before the JSON parser sees them.
  fastify.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.url.startsWith(PROVIDER_EVENTS_PREFIX)) {
      return payload;
    }
    const raw = await readRaw(payload, bodyLimitFor(env.limits.maxMessageBytes));
    (request as RawBodyRequest).rawBody = raw;
    return Readable.from([raw]);
  });
  // Before guards and pipes: their recursive walks (class-transformer) overflow on deep nesting,
  // and PostgreSQL cannot store NUL or unpaired surrogates.
  fastify.addHook('preValidation', async (request) => {
    const problem = checkJsonBody(request.body);
    if (problem !== undefined) {
      throw problem;
    }
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const line = {
      requestId: request.id,
      method: request.method,
      url: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    if (reply.statusCode >= 500) {
      httpLog.error(line, 'request');
    } else {
      httpLog.debug(line, 'request');
    }
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(env, logger, overrides),
    adapter,
    {
      logger: new PinoNestLogger(logger.child({ module: 'nest' })),
      abortOnError: false,
      // The API is JSON only: fastify's own JSON parser (bodyLimit, prototype poisoning removed)
      // stays; Nest would add a form parser that turns a whole body into one property name,
      // which validation errors then echo back, secrets and all.
      bodyParser: false,
    },
  );
  setupOpenApi(app);
  return app;
}
