import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface RecordingProxy {
  port: number;
  /** Every byte clients sent through the proxy, in order, across connections. */
  received(): Buffer;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A TCP relay on 127.0.0.1 in front of `targetPort` that records what clients send: what a
 * server (or anyone on the path) would see on the wire.
 */
export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  let chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received: () => Buffer.concat(chunks),
    reset: () => {
      chunks = [];
    },
    close: async () => {
      for (const socket of sockets) {
        socket.destroy();
      }
      server.close();
      await once(server, 'close');
    },
  };
}
