import { type Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createEgressHttpAgent, createEgressHttpsAgent, type EgressPolicy } from '../common/egress';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export interface WebhookResponse {
  /** 2xx: the receiver has the event. */
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  /** Why it did not count as delivered, safe to show the tenant (no secrets, bounded). */
  error: string | null;
}

const MAX_ERROR_BODY = 200;

function describe(error: Error & { code?: string }): string {
  return error.code === undefined ? error.message : `${error.message} (${error.code})`;
}

/**
 * One POST. Redirects are never followed (node:http does not; a 3xx is a failed attempt, so a
 * receiver cannot bounce us to an internal address). The whole exchange, body included, must
 * finish within `timeoutMs`.
 */
export function postWebhook(
  req: WebhookRequest,
  agents: { http: HttpAgent; https: HttpsAgent },
): Promise<WebhookResponse> {
  const started = process.hrtime.bigint();
  const elapsed = (): number => Number((process.hrtime.bigint() - started) / 1_000_000n);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<WebhookResponse, 'latencyMs'>): void => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, latencyMs: elapsed() });
      }
    };
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      finish({ ok: false, statusCode: null, error: 'invalid URL' });
      return;
    }
    const https = url.protocol === 'https:';
    const options: RequestOptions = {
      method: 'POST',
      agent: https ? agents.https : agents.http,
      headers: {
        ...req.headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(req.body)),
        'user-agent': 'mailgate-webhooks/1',
      },
    };
    const request = (https ? httpsRequest : httpRequest)(url, options, (res) => {
      const status = res.statusCode ?? 0;
      let head = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (head.length < MAX_ERROR_BODY) {
          head += chunk.slice(0, MAX_ERROR_BODY - head.length);
        }
      });
      res.on('error', (error) =>
        finish({ ok: false, statusCode: status, error: `response: ${describe(error)}` }),
      );
      res.on('end', () => {
        if (status >= 200 && status < 300) {
          finish({ ok: true, statusCode: status, error: null });
        } else if (status >= 300 && status < 400) {
          finish({
            ok: false,
            statusCode: status,
            error: `HTTP ${status}: redirects are not followed`,
          });
        } else {
          const text = head.replace(/\s+/g, ' ').trim();
          finish({
            ok: false,
            statusCode: status,
            error: text === '' ? `HTTP ${status}` : `HTTP ${status}: ${text}`,
          });
        }
      });
    });
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    request.on('error', (error) => finish({ ok: false, statusCode: null, error: describe(error) }));
    request.end(req.body);
  });
}

/**
 * Keep-alive pools of one worker, shared by its endpoints, under the egress policy: every new
 * connection resolves its host and refuses denied addresses (EGRESS_DENIED) before connecting.
 */
export class WebhookSender {
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(policy: EgressPolicy) {
    this.agents = {
      http: createEgressHttpAgent(policy, { keepAlive: true, maxSockets: 256 }),
      https: createEgressHttpsAgent(policy, { keepAlive: true, maxSockets: 256 }),
    };
  }

  post(req: WebhookRequest): Promise<WebhookResponse> {
    return postWebhook(req, this.agents);
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
