import { connect, type Socket } from 'node:net';
import { log } from './support';

export interface PacedResult {
  /** Requests answered per second over the measured part. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Open-loop load at a constant rate, as wrk2 does: request k is due at start + k/rate whether or
 * not earlier ones were answered, and its latency counts from that due time, so a stall shows in
 * every request it delayed (no coordinated omission). autocannon's connectionRate is not this: each
 * connection sends its quota for the second back to back, then idles until the next second.
 * Raw keep-alive sockets with one prebuilt request keep the generator's own CPU small: it shares
 * the two cores with the server under test and PostgreSQL.
 */
export function pacedLoad(
  url: string,
  options: {
    rate: number;
    /** Seconds sent at the rate before latencies are recorded. */
    warmupS: number;
    durationS: number;
    body: string;
    headers: Record<string, string>;
    sockets?: number;
  },
): Promise<PacedResult> {
  const target = new URL(url);
  const head = [
    `POST ${target.pathname} HTTP/1.1`,
    `host: ${target.host}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(options.body)}`,
    ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  const request = Buffer.concat([Buffer.from(head), Buffer.from(options.body)]);
  const skipped = Math.round(options.rate * options.warmupS);
  const total = skipped + Math.round(options.rate * options.durationS);
  const latencies = new Float64Array(total - skipped);
  const idle: Array<(k: number) => void> = [];
  const backlog: number[] = [];
  const sockets: Socket[] = [];
  let sent = 0;
  let answered = 0;
  let non2xx = 0;
  let measuredFrom = 0;

  return new Promise((resolveLoad, reject) => {
    const start = performance.now() + 20;
    const dueAt = (k: number): number => start + (k * 1000) / options.rate;

    const finish = (): void => {
      for (const socket of sockets) {
        socket.destroy();
      }
      const sorted = Array.from(latencies).sort((a, b) => a - b);
      if (non2xx > 0) {
        log(`warning: ${non2xx} non-2xx answers of ${sorted.length} at ${options.rate} rps`);
      }
      const at = (p: number): number =>
        Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] * 10) / 10;
      resolveLoad({
        rps: sorted.length / ((performance.now() - measuredFrom) / 1000),
        p50: at(0.5),
        p99: at(0.99),
        max: at(1),
      });
    };

    const answer = (k: number, status: number): void => {
      if (k >= skipped) {
        latencies[k - skipped] = performance.now() - dueAt(k);
        if (status < 200 || status > 299) {
          non2xx += 1;
        }
      }
      answered += 1;
      if (answered === total) {
        finish();
      }
    };

    const open = (): void => {
      const socket = connect({ host: target.hostname, port: Number(target.port), noDelay: true });
      let pending: Buffer = Buffer.alloc(0);
      let current = -1;
      const send = (k: number): void => {
        current = k;
        socket.write(request);
      };
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          const end = pending.indexOf('\r\n\r\n');
          if (end < 0) {
            return;
          }
          const header = pending.subarray(0, end).toString('latin1');
          const length = Number(/content-length: *(\d+)/i.exec(header)?.[1] ?? 0);
          if (pending.length < end + 4 + length) {
            return;
          }
          pending = pending.subarray(end + 4 + length);
          answer(current, Number(header.slice(9, 12)));
          const next = backlog.shift();
          if (next === undefined) {
            idle.push(send);
          } else {
            send(next);
          }
        }
      });
      socket.on('error', reject);
      sockets.push(socket);
      idle.push(send);
    };
    for (let i = 0; i < (options.sockets ?? 64); i += 1) {
      open();
    }

    // A 1 ms timer sends whatever fell due; requests beyond the open sockets wait their turn.
    const tick = (): void => {
      const due = Math.min(
        total,
        Math.floor(((performance.now() - start) * options.rate) / 1000) + 1,
      );
      while (sent < due) {
        if (sent === skipped) {
          measuredFrom = dueAt(sent);
        }
        const send = idle.pop();
        if (send === undefined) {
          backlog.push(sent);
        } else {
          send(sent);
        }
        sent += 1;
      }
      if (sent < total) {
        setTimeout(tick, 1);
      }
    };
    setTimeout(tick, 20);
  });
}
