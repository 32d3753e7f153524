import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DECORATORS, type OpenAPIObject } from '@nestjs/swagger';
import { generateOpenApiDocument, OPENAPI_FILE } from '../../scripts/generate-openapi';
import { createApp } from '../../src/app.factory';
import type { ReadyEnv } from '../../src/config/env';
import { createLogger } from '../../src/common/logger';
import { loadEnv } from '../../src/config/env';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { http, TEST_ROOT_KEY, TEST_SECRET_KEY } from '../support/test-app';
import { newTenantId, rootHeaders } from '../factories/emails';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

interface Route {
  method: string;
  /** OpenAPI style: `/v1/emails/{id}`. */
  path: string;
}

function key(route: Route): string {
  return `${route.method} ${route.path}`;
}

function operationsOf(document: OpenAPIObject): Route[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path })),
  );
}

/** Every `$ref` in the document, as `#/components/schemas/Name` strings. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) {
    value.forEach((v) => refsIn(v, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') {
        out.push(v);
      } else {
        refsIn(v, out);
      }
    }
  }
  return out;
}

/** The committed file, as JSON (formatting is prettier's business, not this test's). */
function committed(): OpenAPIObject {
  return JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')) as OpenAPIObject;
}

function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('OpenAPI document', () => {
  let db: TestDatabase;
  let dataDir: string;
  let app: NestFastifyApplication;
  let baseUrl: string;
  const routes: Route[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-openapi-'));
    const env = loadEnv({
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      MAILGATE_DATA_DIR: dataDir,
      MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
      MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
      BUILTIN_MAILER_URL: 'capture://',
    }) as ReadyEnv;
    app = await createApp(env, createLogger({ level: 'silent' }));
    // Routes are registered at init: record what fastify really serves.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods) {
          routes.push({ method, path: route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}') });
        }
      });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
  });

  it('is committed up to date (regenerate with `npm run openapi`)', async () => {
    const generated = asJson(await generateOpenApiDocument());
    const stale = JSON.stringify(generated) !== JSON.stringify(committed());
    if (stale) {
      // toEqual shows where they differ; the message says what to do.
      expect({ hint: 'openapi.json is stale: run `npm run openapi`', ...committed() }).toEqual({
        hint: 'openapi.json is stale: run `npm run openapi`',
        ...generated,
      });
    }
    expect(stale).toBe(false);
  });

  it('is deterministic: two generations are byte-identical', async () => {
    const a = JSON.stringify(await generateOpenApiDocument());
    const b = JSON.stringify(await generateOpenApiDocument());
    expect(a).toBe(b);
    expect(a).not.toMatch(/"version":"0\.\d+\.\d+"/);
  });

  it('is what the running app serves at /docs/openapi.json', async () => {
    const res = await http(baseUrl, 'GET', '/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual(committed());
  });

  it('documents every route the app serves, and no route it does not', () => {
    // Controllers opted out with @ApiExcludeController (the console UI) are the only exception.
    const excluded: string[] = [];
    for (const module of app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) {
        const metatype = wrapper.metatype as object;
        const flags = Reflect.getMetadata(DECORATORS.API_EXCLUDE_CONTROLLER, metatype) as
          boolean[] | undefined;
        if (flags?.[0] === true) {
          excluded.push(`/${String(Reflect.getMetadata(PATH_METADATA, metatype))}`);
        }
      }
    }
    const served = routes.filter(
      (r) =>
        r.method !== 'HEAD' &&
        !excluded.some((prefix) => r.path === prefix || r.path.startsWith(`${prefix}/`)),
    );
    expect(served.length).toBeGreaterThan(10);
    const documented = operationsOf(committed()).map(key).sort();
    expect(documented).toEqual([...new Set(served.map(key))].sort());
  });

  it('resolves every $ref and describes every DTO from its validation rules', () => {
    const document = committed();
    const schemas = document.components?.schemas ?? {};
    for (const ref of refsIn(document)) {
      expect(ref).toMatch(/^#\/components\/schemas\/.+/);
      expect(Object.keys(schemas)).toContain(ref.replace('#/components/schemas/', ''));
    }
    for (const [name, schema] of Object.entries(schemas)) {
      const s = schema as { properties?: object; allOf?: unknown; oneOf?: unknown };
      const described =
        s.allOf !== undefined ||
        s.oneOf !== undefined ||
        (s.properties !== undefined && Object.keys(s.properties).length > 0);
      expect({ name, described }).toEqual({ name, described: true });
    }
    expect(schemas.SmtpConfigDto).toMatchObject({
      required: ['smtp_host', 'smtp_port', 'senderPass'],
      properties: { smtp_port: { type: 'integer', minimum: 1, maximum: 65535 } },
    });
  });

  it('names both auth schemes and requires one of them on every route but probes, metrics and docs', () => {
    const document = committed();
    expect(document.components?.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      authing: { type: 'apiKey', in: 'header', name: 'authorization' },
    });
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (operation === undefined) {
          continue;
        }
        // Provider event webhooks authenticate by the provider's signature, not a key.
        const open =
          /^\/(health|metrics|docs)(\/|$)/.test(path) || path.startsWith('/v1/provider-events/');
        expect({ path, method, security: operation.security }).toEqual({
          path,
          method,
          // Public routes say so (`security: []`), as redocly's recommended rules require.
          security: open ? [] : [{ bearer: [] }, { authing: [] }],
        });
        const statuses = Object.keys(operation.responses);
        if (path.startsWith('/v1/')) {
          expect(statuses).toEqual(expect.arrayContaining(['400', '401', '403', '429', '500']));
        } else if (path.startsWith('/api/v3/')) {
          // GenAuth-compatible: HTTP 200 only, the errors inside the envelope.
          expect(statuses).toEqual(['200']);
          expect(
            (operation as { 'x-genauth-error-status-codes'?: number[] })[
              'x-genauth-error-status-codes'
            ],
          ).toEqual(expect.arrayContaining([400, 401, 403, 429, 500]));
        }
      }
    }
  });

  it('carries examples that the API really accepts', async () => {
    const document = committed();
    const body = document.paths['/api/v3/config-email-provider'].post?.requestBody as {
      content: Record<string, { examples: Record<string, { value: unknown }> }>;
    };
    const examples = body.content['application/json'].examples;
    expect(Object.keys(examples)).toEqual(
      expect.arrayContaining(['custom', 'sendgrid', 'ali', 'qq', 'disabled']),
    );
    const tenant = newTenantId();
    // In document order: `keepSecret` sends the mask back after `custom` stored the password.
    for (const name of ['custom', 'keepSecret', 'sendgrid', 'ali', 'qq', 'disabled']) {
      const res = await http(baseUrl, 'POST', '/api/v3/config-email-provider', {
        headers: rootHeaders(tenant),
        body: examples[name].value,
      });
      expect({ name, statusCode: res.body.statusCode, message: res.body.message }).toEqual({
        name,
        statusCode: 200,
        message: 'success',
      });
    }
    const email = (document.components?.schemas?.EmailRequest as { example: unknown }).example;
    const sent = await http(baseUrl, 'POST', '/v1/emails', {
      headers: rootHeaders(tenant),
      body: email,
    });
    expect(sent.status).toBe(202);
  });
});

describe('Swagger UI at /docs', () => {
  let db: TestDatabase;
  let dataDir: string;
  let app: NestFastifyApplication;
  let baseUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'mailgate-docs-'));
    const env = loadEnv({
      NODE_ENV: 'development',
      DATABASE_URL: db.url,
      MAILGATE_DATA_DIR: dataDir,
      MAILGATE_ROOT_KEY: TEST_ROOT_KEY,
      MAILGATE_SECRET_KEY: TEST_SECRET_KEY,
    }) as ReadyEnv;
    app = await createApp(env, createLogger({ level: 'silent' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
    await db.drop();
  });

  it('serves the page and every script and stylesheet it loads, without a key', async () => {
    const page = await http(baseUrl, 'GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/<script>(?!<\/script>)/);
    const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual(
      expect.arrayContaining([
        '/docs/assets/swagger-ui-bundle.js',
        '/docs/assets/swagger-ui.css',
        '/docs/swagger-initializer.js',
      ]),
    );
    for (const url of urls) {
      const res = await fetch(`${baseUrl}${url}`);
      const type = res.headers.get('content-type') ?? '';
      const bytes = (await res.arrayBuffer()).byteLength;
      expect({ url, status: res.status, nonEmpty: bytes > 0 }).toEqual({
        url,
        status: 200,
        nonEmpty: true,
      });
      if (url.endsWith('.js')) {
        expect(type).toMatch(/^text\/javascript/);
      } else if (url.endsWith('.css')) {
        expect(type).toMatch(/^text\/css/);
      }
    }
    const initializer = await http(baseUrl, 'GET', '/docs/swagger-initializer.js');
    expect(initializer.text).toContain("url: '/docs/openapi.json'");
  });

  it('serves only the listed assets', async () => {
    for (const path of [
      '/docs/assets/package.json',
      '/docs/assets/..%2F..%2Fpackage.json',
      '/docs/assets/index.html',
      '/docs/assets/constructor',
    ]) {
      const res = await http(baseUrl, 'GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
    }
  });
});
