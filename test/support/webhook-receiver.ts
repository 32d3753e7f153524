import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One call as the receiver saw it, and what the spec's reference library made of it. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed payload. */
  payload: { type: string; timestamp: string; data: Record<string, any> };
  /** Names of the secrets (see `secrets`) whose `Webhook.verify` accepted the call. */
  verifiedBy: string[];
  /** What the receiver answered. */
  answered: number;
  at: number;
}

export interface WebhookReceiver {
  url: string;
  port: number;
  calls: ReceivedWebhook[];
  /** Secrets to verify with, by name (`standardwebhooks`' Webhook class, not mailgate's code). */
  secrets: Map<string, string>;
  /** Status to answer (default 200); a function decides per call. */
  answer: number | ((call: ReceivedWebhook) => number);
  /** Extra headers for the answer (e.g. Location for a redirect). */
  answerHeaders: Record<string, string>;
  /** Wait this long before answering. */
  delayMs: number;
  /** Distinct webhook-ids answered 2xx. */
  deliveredIds(): Set<string>;
  /** Stops listening and cuts open connections (receiver down). */
  stop(): Promise<void>;
  /** Listens again on the same port (receiver back up). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** An HTTP receiver on 127.0.0.1 that checks every call with the `standardwebhooks` package. */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const sockets = new Set<Socket>();
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    calls: [],
    secrets: new Map(),
    answer: 200,
    answerHeaders: {},
    delayMs: 0,
    deliveredIds: () => new Set(receiver.calls.filter((c) => c.answered < 300).map((c) => c.id)),
    stop: () => stop(),
    restart: () => listen(receiver.port),
    close: () => stop(),
  };
  let server: Server | undefined;

  function handler(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(req.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
      };
      const verifiedBy: string[] = [];
      for (const [name, secret] of receiver.secrets) {
        try {
          new Webhook(secret).verify(body, headers);
          verifiedBy.push(name);
        } catch {
          // Not signed with this secret.
        }
      }
      let payload: ReceivedWebhook['payload'];
      try {
        payload = JSON.parse(body) as ReceivedWebhook['payload'];
      } catch {
        payload = { type: '', timestamp: '', data: {} };
      }
      const call: ReceivedWebhook = {
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        headers: req.headers,
        body,
        payload,
        verifiedBy,
        answered: 0,
        at: Date.now(),
      };
      const status =
        typeof receiver.answer === 'function' ? receiver.answer(call) : receiver.answer;
      setTimeout(() => {
        call.answered = status;
        receiver.calls.push(call);
        res.writeHead(status, receiver.answerHeaders).end(status < 300 ? 'ok' : 'no');
      }, receiver.delayMs);
    });
  }

  async function listen(onPort: number): Promise<void> {
    server = createServer(handler);
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(onPort, '127.0.0.1', () => resolve());
    });
    receiver.port = (server.address() as AddressInfo).port;
    receiver.url = `http://127.0.0.1:${receiver.port}/hooks`;
  }

  async function stop(): Promise<void> {
    const s = server;
    server = undefined;
    if (s === undefined) {
      return;
    }
    for (const socket of sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen(port);
  return receiver;
}
