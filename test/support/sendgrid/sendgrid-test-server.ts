import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  validateMailSendBody,
  type MailSendBody,
  type SendGridApiError,
} from './mail-send-validation';

export const SENDGRID_MAIL_SEND_PATH = '/v3/mail/send';
export const SENDGRID_SCOPES_PATH = '/v3/scopes';
type Route = typeof SENDGRID_MAIL_SEND_PATH | typeof SENDGRID_SCOPES_PATH;

export interface SendGridTestServerOptions {
  /** The key the server accepts as `Authorization: Bearer <key>`. Default `SG.mailgate-test.key`. */
  apiKey?: string;
  /** Scopes GET /v3/scopes reports; without `mail.send`, sends answer 403. Default `['mail.send']`. */
  scopes?: string[];
  /** Largest request body; larger ones answer 413. Default 30 MiB, SendGrid's limit. */
  maxBodyBytes?: number;
  /** Holds every answer this long, as a distant API would (to observe requests in flight). */
  answerDelayMs?: number;
  /**
   * Only for specs of the server itself, which post invalid bodies on purpose. Otherwise a body
   * refused by the validation (SendGrid's schema or its API rules) is mailgate's bug: `reset()`
   * throws and `close()` rejects, naming the failing fields, so the spec fails.
   */
  allowInvalidBodies?: boolean;
}

export interface SendGridScriptedResponse {
  status: number;
  /** JSON body; default: a SendGrid-style `{ errors: [...] }` for error statuses, nothing for 2xx. */
  body?: unknown;
  /** Extra response headers, e.g. `{ 'retry-after': '7' }`. */
  headers?: Record<string, string>;
  /** How many requests get this answer. Default 1. */
  times?: number;
  /** Which route it applies to. Default POST /v3/mail/send. */
  path?: Route;
}

export interface SendGridRecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  status: number;
}

/** A mail the server accepted (202): the validated v3 body and the id it answered with. */
export interface ReceivedSendGridMail {
  body: MailSendBody;
  headers: IncomingHttpHeaders;
  /** The `x-message-id` the server answered with. */
  messageId: string;
}

export interface SendGridTestServer {
  port: number;
  /** Base URL to use as SENDGRID_API_URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  apiKey: string;
  /** Accepted mails, in order. */
  readonly messages: ReceivedSendGridMail[];
  /** Every request, accepted or not. */
  readonly requests: SendGridRecordedRequest[];
  /** Bodies the validation refused with 400, with the errors answered (kept across `reset()`). */
  readonly invalidBodies: { body: unknown; errors: SendGridApiError[] }[];
  /** For a test that makes mailgate send an invalid body on purpose: the refusals so far, now expected. */
  takeInvalidBodies(): { body: unknown; errors: SendGridApiError[] }[];
  /** TCP connections accepted so far (keep-alive reuses them). */
  readonly connections: number;
  /** Most requests that were being answered at one time. */
  readonly maxInFlight: number;
  /** Makes the next request(s) to a route answer `status`, whatever the body. */
  respond(response: SendGridScriptedResponse): void;
  /** Resolves once at least `count` mails were accepted; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedSendGridMail[]>;
  reset(): void;
  close(): Promise<void>;
}

type ScriptEntry = Omit<SendGridScriptedResponse, 'times' | 'path'> & {
  times: number;
  path: Route;
};

const DEFAULT_ERROR_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'The provided authorization grant is invalid, expired, or revoked',
  403: 'access forbidden',
  404: 'not found',
  413: 'The JSON payload you have included in your request is too large.',
  429: 'too many requests',
  500: 'internal error',
  503: 'service unavailable',
};

function errorBody(status: number, errors?: SendGridApiError[]): { errors: SendGridApiError[] } {
  return {
    errors: errors ?? [
      { field: null, message: DEFAULT_ERROR_MESSAGES[status] ?? 'error', help: null },
    ],
  };
}

function send(
  res: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(payload === '' ? {} : { 'content-type': 'application/json' }),
    'content-length': String(Buffer.byteLength(payload)),
    ...headers,
  });
  res.end(payload);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      return 'too-large';
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * Starts a node:http server on 127.0.0.1 (random port) speaking the parts of SendGrid's v3 API
 * mailgate uses: POST /v3/mail/send (body validated against SendGrid's published schema and its
 * API rules, `validateMailSendBody`; 400 with SendGrid's `{ errors }` when it fails, else 202 +
 * x-message-id)
 * and GET /v3/scopes (the key check). Any status can be scripted per route.
 */
export async function startSendGridTestServer(
  options: SendGridTestServerOptions = {},
): Promise<SendGridTestServer> {
  const apiKey = options.apiKey ?? 'SG.mailgate-test.key';
  const scopes = options.scopes ?? ['mail.send'];
  const maxBodyBytes = options.maxBodyBytes ?? 30 * 1024 * 1024;
  const messages: ReceivedSendGridMail[] = [];
  const requests: SendGridRecordedRequest[] = [];
  const scripts: ScriptEntry[] = [];
  const invalidBodies: { body: unknown; errors: SendGridApiError[] }[] = [];
  let reported = 0;
  const events = new EventEmitter();

  /** Throws on refusals not yet reported: mailgate sent SendGrid a body it would answer 400. */
  const assertNoInvalidBodies = (): void => {
    const fresh = invalidBodies.slice(reported);
    reported = invalidBodies.length;
    if (fresh.length > 0 && options.allowInvalidBodies !== true) {
      const detail = fresh
        .flatMap(({ errors }) => errors.map((e) => `${e.field ?? '(body)'}: ${e.message}`))
        .join('; ');
      throw new Error(
        `the SendGrid test server refused ${fresh.length} invalid mail/send body(ies): ${detail}`,
      );
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    const raw = await readBody(req, maxBodyBytes);
    let body: unknown;
    let badJson = false;
    if (raw !== 'too-large' && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        badJson = true;
      }
    }
    const reply = (status: number, payload?: unknown, headers?: Record<string, string>): void => {
      requests.push({ method, path, headers: req.headers, body, status });
      send(res, status, payload, headers);
    };

    const route: Route | undefined =
      method === 'POST' && path === SENDGRID_MAIL_SEND_PATH
        ? SENDGRID_MAIL_SEND_PATH
        : method === 'GET' && path === SENDGRID_SCOPES_PATH
          ? SENDGRID_SCOPES_PATH
          : undefined;
    if (route === undefined) {
      reply(404, errorBody(404));
      return;
    }
    const scriptIndex = scripts.findIndex((entry) => entry.path === route);
    if (scriptIndex >= 0) {
      const script = scripts[scriptIndex];
      script.times -= 1;
      if (script.times <= 0) {
        scripts.splice(scriptIndex, 1);
      }
      const isError = script.status >= 400;
      reply(script.status, script.body ?? (isError ? errorBody(script.status) : undefined), {
        ...(script.status >= 200 && script.status < 300 && route === SENDGRID_MAIL_SEND_PATH
          ? { 'x-message-id': randomBytes(16).toString('base64url') }
          : {}),
        ...script.headers,
      });
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      reply(401, errorBody(401));
      return;
    }
    if (route === SENDGRID_SCOPES_PATH) {
      reply(200, { scopes });
      return;
    }
    if (!scopes.includes('mail.send')) {
      reply(403, errorBody(403));
      return;
    }
    if (raw === 'too-large') {
      reply(413, errorBody(413));
      return;
    }
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '') || badJson) {
      reply(400, errorBody(400, [{ field: null, message: 'Bad Request', help: null }]));
      return;
    }
    const errors = validateMailSendBody(body);
    if (errors.length > 0) {
      invalidBodies.push({ body, errors });
      reply(400, { errors });
      return;
    }
    const messageId = randomBytes(16).toString('base64url');
    messages.push({ body: body as MailSendBody, headers: req.headers, messageId });
    events.emit('message');
    reply(202, undefined, { 'x-message-id': messageId });
  };

  let connections = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => (inFlight -= 1));
    const delay = new Promise((resolve) => setTimeout(resolve, options.answerDelayMs ?? 0));
    delay
      .then(() => handle(req, res))
      .catch(() => {
        if (!res.headersSent) {
          send(res, 500, errorBody(500));
        }
      });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    apiKey,
    messages,
    requests,
    invalidBodies,
    takeInvalidBodies() {
      const fresh = invalidBodies.slice(reported);
      reported = invalidBodies.length;
      return fresh;
    },
    get connections() {
      return connections;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    respond(response) {
      scripts.push({
        status: response.status,
        body: response.body,
        headers: response.headers,
        times: response.times ?? 1,
        path: response.path ?? SENDGRID_MAIL_SEND_PATH,
      });
    },
    waitForMessages(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (messages.length >= count) {
            cleanup();
            resolve(messages.slice());
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          const refused =
            invalidBodies.length === 0 ? '' : `; ${invalidBodies.length} invalid body(ies) refused`;
          reject(
            new Error(
              `expected ${count} SendGrid mail(s) within ${timeoutMs} ms, got ${messages.length}${refused}`,
            ),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          events.off('message', check);
        };
        if (!check()) {
          events.on('message', check);
        }
      });
    },
    reset() {
      messages.length = 0;
      requests.length = 0;
      scripts.length = 0;
      connections = 0;
      maxInFlight = 0;
      assertNoInvalidBodies();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      assertNoInvalidBodies();
    },
  };
}
