import { connect, createServer, type Server, type Socket } from 'node:net';

export interface PgCutProxy {
  /** The database URL rewritten to go through the proxy. */
  url: string;
  /**
   * Arms a one-shot cut: the next statement whose CommandComplete tag matches `tag` completes on
   * the server, but its client never hears back. The proxy swallows that answer up to the
   * following ReadyForQuery (sent after the implicit transaction committed, at Sync) and then
   * drops the connection: a commit whose outcome the client cannot know.
   */
  cutAfter(tag: RegExp): void;
  /** Whether the armed cut happened. */
  readonly fired: boolean;
  close(): Promise<void>;
}

/**
 * A TCP proxy to PostgreSQL that reads the server's messages (type byte + int32 length, see
 * https://www.postgresql.org/docs/current/protocol-message-formats.html) so it can cut a
 * connection at an exact point of the protocol. Plain TCP only (no SSLRequest).
 */
export async function startPgCutProxy(databaseUrl: string): Promise<PgCutProxy> {
  const target = new URL(databaseUrl);
  let armed: RegExp | undefined;
  let fired = false;
  const sockets = new Set<Socket>();

  const server: Server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 5432) });
    sockets.add(client).add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    client.pipe(upstream);

    let pending: Buffer = Buffer.alloc(0);
    let swallowing = false;
    upstream.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const length = pending.readInt32BE(1) + 1;
        if (pending.length < length) {
          break;
        }
        const message = pending.subarray(0, length);
        pending = pending.subarray(length);
        const type = String.fromCharCode(message[0]);
        if (!swallowing && type === 'C' && armed !== undefined) {
          const tag = message.subarray(5, length - 1).toString('utf8');
          if (armed.test(tag)) {
            armed = undefined;
            swallowing = true;
          }
        }
        if (!swallowing) {
          client.write(message);
        } else if (type === 'Z') {
          fired = true;
          closeBoth();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('the proxy has no TCP address');
  }
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  return {
    url: url.toString(),
    cutAfter: (tag) => {
      fired = false;
      armed = tag;
    },
    get fired() {
      return fired;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
