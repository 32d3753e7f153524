import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface SlowSmtpSink {
  port: number;
  /** Message-ID header of every accepted message, duplicates included. */
  readonly messageIds: string[];
  close(): Promise<void>;
}

/** An SMTP sink (no TLS, any credentials) that takes `delayMs` to accept each message: sends stay in flight. */
export async function startSlowSmtpSink(delayMs: number): Promise<SlowSmtpSink> {
  const messageIds: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(credentials, _session, callback) {
      callback(null, { user: credentials.username });
    },
    logger: false,
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          setTimeout(() => {
            messageIds.push(parsed.messageId ?? '');
            callback(null);
          }, delayMs);
        },
        (error: Error) => callback(error),
      );
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    messageIds,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
