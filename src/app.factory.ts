import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule, type AppOverrides, type ReadyEnv } from './app.module';
import { PinoNestLogger } from './common/logger';

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
  });
  const fastify = adapter.getInstance();
  const httpLog = logger.child({ module: 'http' });
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
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
    },
  );
  return app;
}
