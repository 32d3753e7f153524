import 'reflect-metadata';
import { createApp } from './app.factory';
import { createLogger } from './common/logger';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './config/embedded-postgres';
import { EnvValidationError, loadEnv, type AppEnv, type ReadyEnv } from './config/env';
import { tuneHeap } from './config/heap';
import { LifecycleService } from './health/lifecycle.service';

tuneHeap();
const logger = createLogger();

function parseEnv(): AppEnv {
  try {
    return loadEnv();
  } catch (error) {
    if (error instanceof EnvValidationError) {
      logger.fatal({ problems: error.problems }, 'invalid configuration');
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const startedAt = Date.now();
  const env = parseEnv();
  let embedded: EmbeddedDatabase | undefined;
  if (env.database.url === undefined) {
    embedded = await startEmbeddedPostgres(env.app.dataDir, (m) =>
      logger.info({ module: 'embedded-postgres' }, m),
    );
  }
  const readyEnv: ReadyEnv = {
    ...env,
    database: { ...env.database, url: env.database.url ?? embedded!.url },
  };

  let app;
  try {
    app = await createApp(readyEnv, logger);
    await app.listen({ port: env.app.port, host: '0.0.0.0' });
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    await embedded?.stop();
    process.exit(1);
  }
  const url = await app.getUrl();
  logger.info(
    {
      url,
      role: env.app.role,
      ms: Date.now() - startedAt,
      embeddedDatabase: embedded !== undefined,
    },
    'mailgate ready',
  );
  console.log(
    `mailgate listening on ${url.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost')}${embedded ? ' (embedded PostgreSQL)' : ''}`,
  );
  if (env.app.rootKeyGenerated && env.app.rootKey !== undefined) {
    // Development only: the root key was generated into the data folder because none was set.
    console.log(
      `root API key (development, from ${env.app.dataDir}/root.key): Authorization: Bearer ${env.app.rootKey}`,
    );
  }
  if (env.mailer.builtinMailerUrl.startsWith('capture:')) {
    console.log(
      'built-in mailer: capture:// — messages are stored, NOT sent (set BUILTIN_MAILER_URL to send)',
    );
  }

  let stopping = false;
  // Own signal handling (not enableShutdownHooks): drain first, then close, then exit 0.
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down: draining');
    const hardStop = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, 60_000);
    try {
      await app.get(LifecycleService).drain();
      await app.close();
      await embedded?.stop();
      logger.info('stopped cleanly');
      clearTimeout(hardStop);
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
      process.exit(1);
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void shutdown(signal));
  }
}

bootstrap().catch((error: unknown) => {
  logger.fatal({ err: error }, 'failed to start');
  process.exit(1);
});
