import 'reflect-metadata';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../src/app.module';
import { createLogger } from '../src/common/logger';
import { loadEnv, type ReadyEnv } from '../src/config/env';
import { buildOpenApiDocument } from '../src/docs/openapi.document';

/** The repository root, from scripts/ (ts) or dist/scripts/ (compiled). */
function repositoryRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) {
    dir = dirname(dir);
  }
  return dir;
}

export const OPENAPI_FILE = join(repositoryRoot(__dirname), 'openapi.json');

/**
 * The document of the real AppModule, built in Nest's preview mode: controllers and their
 * metadata without instantiating providers, so no database is needed. Placeholder values only
 * satisfy loadEnv; nothing in the document depends on them.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const env = loadEnv({
    NODE_ENV: 'development',
    DATABASE_URL: 'postgres://openapi@127.0.0.1:1/unused',
    MAILGATE_DATA_DIR: join(tmpdir(), 'mailgate-openapi-unused'),
    MAILGATE_SECRET_KEY: Buffer.alloc(32).toString('base64'),
    MAILGATE_ROOT_KEY: 'root_openapi.placeholder-never-used',
  }) as ReadyEnv;
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register(env, createLogger({ level: 'silent' })),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/** `npm run openapi`: rewrites openapi.json, formatted as `npm run format` would leave it. */
async function main(): Promise<void> {
  const document = await generateOpenApiDocument();
  // Loaded here only: prettier is a dev tool, and the spec that imports this file never formats.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(OPENAPI_FILE)) ?? {};
  const text = await prettier.format(JSON.stringify(document), { ...options, parser: 'json' });
  writeFileSync(OPENAPI_FILE, text);
  console.log(
    `wrote ${OPENAPI_FILE} (${Object.keys(document.paths).length} paths, ${Object.keys(document.components?.schemas ?? {}).length} schemas)`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
