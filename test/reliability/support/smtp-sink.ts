import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface SmtpSinkOptions {
  /** Port to listen on (127.0.0.1); 0 or unset: any free one. */
  port?: number;
  /** Milliseconds before each accepted message is acknowledged. */
  delayMs?: number;
  /**
   * Called with the 1-based number of each DATA command: `true` means never answer it (the
   * server sits on the connection, as a hung relay does) until the client gives up.
   */
  stall?: (data: number) => boolean;
}

export interface SmtpSink {
  port: number;
  /** Message-ID of every acknowledged message, duplicates included, in order. */
  readonly messageIds: string[];
  /** Each acknowledged message with the login its connection authenticated as (none: ''). */
  readonly deliveries: Array<{ messageId: string; user: string; from: string }>;
  /** DATA commands seen, stalled ones included. */
  readonly dataCommands: number;
  /** DATA commands left unanswered, and how long each waited before its client hung up. */
  readonly stalled: Array<{ at: number; messageId: string; closedAfterMs?: number }>;
  close(): Promise<void>;
}

/** Plain SMTP on loopback (any credentials), with optional delays and hung replies. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messageIds: string[] = [];
  const deliveries: SmtpSink['deliveries'] = [];
  const stalled: SmtpSink['stalled'] = [];
  const hung = new Map<string, { entry: SmtpSink['stalled'][number]; done: () => void }>();
  let dataCommands = 0;
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onAuth(credentials, _session, callback) {
      callback(null, { user: credentials.username });
    },
    onClose(session) {
      const pending = hung.get(session.id);
      if (pending !== undefined) {
        hung.delete(session.id);
        pending.entry.closedAfterMs = Date.now() - pending.entry.at;
        pending.done();
      }
    },
    onData(stream, session, callback) {
      dataCommands += 1;
      const stall = options.stall?.(dataCommands) === true;
      simpleParser(stream).then(
        (parsed) => {
          if (stall) {
            const entry = { at: Date.now(), messageId: parsed.messageId ?? '' };
            stalled.push(entry);
            // Answered only once the client is gone, so nothing is ever acknowledged.
            hung.set(session.id, {
              entry,
              done: () => callback(new Error('4.4.2 client went away')),
            });
            return;
          }
          setTimeout(() => {
            messageIds.push(parsed.messageId ?? '');
            deliveries.push({
              messageId: parsed.messageId ?? '',
              user: typeof session.user === 'string' ? session.user : '',
              from: parsed.from?.value[0]?.address ?? '',
            });
            callback(null);
          }, options.delayMs ?? 0);
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    messageIds,
    deliveries,
    get dataCommands() {
      return dataCommands;
    },
    stalled,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
