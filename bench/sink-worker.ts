import { createServer, type IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { SMTPServer } from 'smtp-server';
// The one mail/send validation of the tests' SendGrid servers (SendGrid's schema + API rules),
// compiled into dist/ by `npm run build:bench`.
import { validateMailSendBody } from '../test/support/sendgrid/mail-send-validation';

/**
 * The sinks' own thread: the load generator's event loop (thousands of HTTP requests a second)
 * must not slow a sink down, or the dispatcher would wait on the benchmark itself. Counts into a
 * shared Int32Array the main thread reads: [accepted, distinct Message-IDs, repeated Message-IDs,
 * refused invalid bodies].
 *
 * `kind: 'smtp'` is an SMTP server; `kind: 'sendgrid'` answers SendGrid's v3 POST /v3/mail/send
 * with 202 and an x-message-id, or 400 as SendGrid would when the body fails its validation. `delayMs` holds every answer that long, as a provider that far
 * away would (the SMTP sink holds the reply to the end of DATA).
 */
interface SinkOptions {
  counter: SharedArrayBuffer;
  kind: 'smtp' | 'sendgrid';
  delayMs: number;
}

const options = workerData as SinkOptions;
const counter = new Int32Array(options.counter);
const seen = new Set<string>();

function record(messageId: string | undefined): void {
  Atomics.add(counter, 0, 1);
  if (messageId === undefined) {
    return;
  }
  if (seen.has(messageId)) {
    Atomics.add(counter, 2, 1);
  } else {
    seen.add(messageId);
    Atomics.add(counter, 1, 1);
  }
}

function later(fn: () => void): void {
  if (options.delayMs > 0) {
    setTimeout(fn, options.delayMs);
  } else {
    fn();
  }
}

const MESSAGE_ID = /^message-id:[ \t]*(\S+)/im;

function startSmtp(ready: (port: number) => void): () => void {
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onData(stream, _session, callback) {
      // Only the header block is kept, to read the Message-ID.
      let head = '';
      stream.on('data', (chunk: Buffer) => {
        if (head.length < 8192 && !head.includes('\r\n\r\n')) {
          head += chunk.toString('latin1');
        }
      });
      stream.on('end', () => {
        record(MESSAGE_ID.exec(head.split('\r\n\r\n')[0])?.[1]);
        later(() => callback(null));
      });
    },
  });
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1', () => {
    const address = server.server.address();
    ready(typeof address === 'object' && address !== null ? address.port : 0);
  });
  return () => server.close(() => process.exit(0));
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function startSendGrid(ready: (port: number) => void): () => void {
  const server = createServer((req, res) => {
    body(req)
      .then((text) => {
        if (req.method !== 'POST' || req.url !== '/v3/mail/send') {
          res.writeHead(404).end();
          return;
        }
        const mail = JSON.parse(text) as { headers?: Record<string, string> };
        const errors = validateMailSendBody(mail);
        if (errors.length > 0) {
          Atomics.add(counter, 3, 1);
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end(JSON.stringify({ errors }));
          return;
        }
        record(mail.headers?.['Message-ID']);
        later(() =>
          res
            .writeHead(202, {
              'x-message-id': randomBytes(12).toString('base64url'),
              'content-length': '0',
            })
            .end(),
        );
      })
      .catch(() => res.writeHead(400).end());
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    ready(typeof address === 'object' && address !== null ? address.port : 0);
  });
  return () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
}

const stop = (options.kind === 'sendgrid' ? startSendGrid : startSmtp)((port) =>
  parentPort!.postMessage({ port }),
);
parentPort!.on('message', (m: string) => {
  if (m === 'reset') {
    seen.clear();
    Atomics.store(counter, 0, 0);
    Atomics.store(counter, 1, 0);
    Atomics.store(counter, 2, 0);
    Atomics.store(counter, 3, 0);
    parentPort!.postMessage({ reset: true });
    return;
  }
  stop();
});
