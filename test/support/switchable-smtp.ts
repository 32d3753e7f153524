import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** `up` takes mail; `down` answers every connection `421` (RFC 5321 §3.8: service not available) and closes it. */
export type SmtpMode = 'up' | 'down';

export interface SwitchableSmtp {
  port: number;
  mode: SmtpMode;
  /** When each TCP connection arrived (Date.now()), counted before any reply. */
  readonly connectedAt: number[];
  /** Accepted messages: Message-ID, and how many connections had arrived when it did. */
  readonly messages: Array<{ messageId: string; connections: number }>;
  close(): Promise<void>;
}

/** A plain SMTP sink (no TLS, any login) that can be taken down and brought back without a new port. */
export async function startSwitchableSmtp(mode: SmtpMode = 'up'): Promise<SwitchableSmtp> {
  const connectedAt: number[] = [];
  const messages: SwitchableSmtp['messages'] = [];
  const state: { mode: SmtpMode } = { mode };
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onConnect(_session, callback) {
      connectedAt.push(Date.now());
      if (state.mode === 'down') {
        callback(Object.assign(new Error('4.3.2 Service not available'), { responseCode: 421 }));
        return;
      }
      callback();
    },
    onAuth(credentials, _session, callback) {
      callback(null, { user: credentials.username });
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          messages.push({ messageId: parsed.messageId ?? '', connections: connectedAt.length });
          callback(null);
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
    get mode() {
      return state.mode;
    },
    set mode(next: SmtpMode) {
      state.mode = next;
    },
    connectedAt,
    messages,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
