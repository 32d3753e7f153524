import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { AUTHING_SCHEME, BEARER_SCHEME } from '../tenancy/auth.decorators';
import { TENANT_HEADER } from '../tenancy/tenancy.constants';
import { API_SCHEMAS } from './api-schemas';
import { describeValidatedDto, isValidatedClass } from './validated-dto-properties';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** The contract's version, not the package's: the committed document must not change on a release. */
export const API_VERSION = '1';

const DESCRIPTION = `Email dispatch gateway behind GenAuth's config_email_provider API.

Every JSON answer except /health, /metrics and /docs is GenAuth's envelope
\`{ statusCode, message, apiCode?, requestId, data }\`. Routes under /v1 answer with the HTTP status
equal to statusCode; routes under /api/v3 are GenAuth-compatible and answer HTTP 200 with the
outcome in statusCode (their errors are listed in each operation's description and in
\`x-genauth-error-status-codes\`).

Authenticate with \`Authorization: Bearer <key id>.<secret>\` or GenAuth's signature
(\`authorization: authing <key id>:<signature>\`, as authing-node-sdk sends it). The root key
(Bearer only) acts on the tenant named by \`${TENANT_HEADER}\`.`;

/** Every DTO a controller method takes (body, query) is documented from its validation rules. */
function describeControllerDtos(app: INestApplication): void {
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
      if (prototype === undefined) {
        continue;
      }
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const params: unknown = Reflect.getMetadata('design:paramtypes', prototype, method);
        for (const param of Array.isArray(params) ? (params as unknown[]) : []) {
          if (isValidatedClass(param)) {
            describeValidatedDto(param);
          }
        }
      }
    }
  }
}

/**
 * Keys sorted at every level (arrays keep their order) so the document is byte-stable; example
 * payloads keep the order they were written in, which reads better.
 */
export function canonical<T>(value: T, path: readonly string[] = []): T {
  const isExample =
    path.at(-1) === 'example' || (path.at(-1) === 'value' && path.at(-3) === 'examples');
  if (isExample || value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => canonical(item, path)) as T;
  }
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key], [...path, key])]),
  ) as T;
}

/** The OpenAPI document of `app` (initialised or not, preview mode included): deterministic. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  describeControllerDtos(app);
  const config = new DocumentBuilder()
    .setTitle('mailgate')
    .setDescription(DESCRIPTION)
    .setVersion(API_VERSION)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: '<key id>.<secret>',
        description:
          'An API key as `<key id>.<secret>` (the root key authenticates this way only).',
      },
      BEARER_SCHEME,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'authorization',
        description:
          "GenAuth's signature: `authing <key id>:<base64 HMAC-SHA1(secret, stringToSign)>` with `date` (within 15 minutes) and a single-use `x-authing-signature-nonce`, as authing-node-sdk sends it.",
      },
      AUTHING_SCHEME,
    )
    .addTag('Emails', 'Send messages through the outbox and follow their delivery.')
    .addTag('Provider config', "GenAuth's config_email_provider API and mailgate's extras.")
    .addTag('Email templates', "GenAuth's email templates: defaults, tenant overrides, preview.")
    .addTag('API keys', 'Access keys of a tenant (root key or provider:write).')
    .addTag('Health', 'Kubernetes probes: terminus reports, not the envelope.')
    .addTag('Operations', 'Prometheus metrics and this documentation.')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (controller: string, method: string) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });
  const generated = document.components?.schemas ?? {};
  const clash = Object.keys(API_SCHEMAS).filter((name) => name in generated);
  if (clash.length > 0) {
    throw new Error(`OpenAPI schema names used twice: ${clash.join(', ')}`);
  }
  document.components = { ...document.components, schemas: { ...generated, ...API_SCHEMAS } };
  // Relative to where the document is served: every deployment has its own host.
  document.servers = [{ url: '/', description: 'The gateway serving this document' }];
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      // Authenticated routes declare their schemes (@ApiAuthenticated); the rest are @Public and
      // say so, since a missing `security` reads as "unspecified" to clients and linters.
      if (operation !== undefined && operation.security === undefined) {
        operation.security = [];
      }
    }
  }
  return canonical(document);
}
