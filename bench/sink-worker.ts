import { parentPort, workerData } from 'node:worker_threads';
import { SMTPServer } from 'smtp-server';

/**
 * The SMTP sink's own thread: the load generator's event loop (thousands of HTTP requests a
 * second) must not slow the sink down, or the dispatcher would wait on the benchmark itself.
 * Counts into a shared Int32Array the main thread reads.
 */
const data = workerData as { counter: SharedArrayBuffer; delayMs?: number };
const counter = new Int32Array(data.counter);
const delayMs = data.delayMs ?? 0;
const server = new SMTPServer({
  authOptional: true,
  allowInsecureAuth: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  disableReverseLookup: true,
  onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      const accept = (): void => {
        Atomics.add(counter, 0, 1);
        callback(null);
      };
      // A slow provider (fairness scenario) answers the final '.' after delayMs.
      if (delayMs > 0) {
        setTimeout(accept, delayMs);
      } else {
        accept();
      }
    });
  },
});
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  parentPort!.postMessage({
    port: typeof address === 'object' && address !== null ? address.port : 0,
  });
});
parentPort!.on('message', () => {
  server.close(() => process.exit(0));
});
