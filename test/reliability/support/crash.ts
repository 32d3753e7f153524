import { startChildApp, type ChildApp } from '../../support/child-app';
import type { TestDatabase } from '../../support/database';
import { waitFor, type TestApp } from '../../support/test-app';
import { configureSmtp, createKey, newTenantId, type TestKey } from '../../factories/emails';
import { acceptBatch, streamAccepts, type LoadOutcome } from './gateway';
import { CLAIMS_PER_SEND_SLOT } from '../../../src/emails/scheduling/send-slots';
import { inFlightIds, messageIdOf, outboxRows, statusCounts, tally } from './outbox';
import type { SmtpSink } from './smtp-sink';

export interface KillFigures {
  accepted: number;
  /** What the killed process had leased at each kill: the only messages allowed to go out again. */
  inFlightAtKill: string[][];
  /** Messages the relay received more than once. */
  duplicates: string[];
  lost: number;
}

/** The dispatcher's worker id (`locked_by` of its leases), from its start-up log line. */
export function workerIdOf(child: ChildApp): Promise<string> {
  return waitFor(
    () => {
      for (const line of child.output) {
        if (line.includes('"dispatcher started"')) {
          return (JSON.parse(line) as { workerId: string }).workerId;
        }
      }
      return undefined;
    },
    { timeoutMs: 10_000, what: 'the dispatcher start-up line' },
  );
}

/** A child gateway where the factories take a test app: they only use its base URL. */
export function handle(child: ChildApp): TestApp {
  return { baseUrl: child.baseUrl } as TestApp;
}

/**
 * Accepts `messages`, SIGKILLs the gateway `kills` times while it sends (each time once another
 * `messages / (kills + 2)` went out), restarts it, and waits for every message to be sent. The
 * caller's `children` collects every process for cleanup.
 */
export async function killWhileSending(options: {
  db: TestDatabase;
  sink: SmtpSink;
  children: ChildApp[];
  env: Record<string, string>;
  messages: number;
  kills: number;
  timeoutMs: number;
}): Promise<KillFigures & { ids: string[]; key: TestKey }> {
  const { db, sink, children, env } = options;
  let gateway = await startChildApp({ DATABASE_URL: db.url, ...env });
  children.push(gateway);
  const key = await createKey(handle(gateway), newTenantId());
  await configureSmtp(handle(gateway), key.token, {
    port: sink.port,
    user: 'sender@example.test',
    pass: 'p',
  });
  const ids = await acceptBatch(gateway, key, options.messages, 'kill');
  const inFlightAtKill: string[][] = [];
  const step = Math.floor(options.messages / (options.kills + 2));
  for (let k = 1; k <= options.kills; k += 1) {
    await waitFor(() => new Set(sink.messageIds).size >= step * k, {
      timeoutMs: options.timeoutMs,
      what: `${step * k} delivered before kill ${k}`,
    });
    const workerId = await workerIdOf(gateway);
    gateway.child.kill('SIGKILL');
    const exit = await gateway.exited;
    if (exit.signal !== 'SIGKILL') {
      throw new Error(`gateway ended with ${JSON.stringify(exit)}, not by SIGKILL`);
    }
    // The dead process writes nothing more: its leases are exactly what it had in flight.
    inFlightAtKill.push(await inFlightIds(db.url, workerId));
    gateway = await startChildApp({ DATABASE_URL: db.url, ...env });
    children.push(gateway);
  }
  await waitFor(async () => (await statusCounts(db.url)).sent === ids.length, {
    timeoutMs: options.timeoutMs,
    what: `all ${ids.length} sent`,
  });
  const received = tally(sink.messageIds);
  const duplicates = ids.filter((id) => (received.get(messageIdOf(id)) ?? 0) > 1);
  const lost = ids.filter((id) => !received.has(messageIdOf(id))).length;
  return { ids, key, accepted: ids.length, inFlightAtKill, duplicates, lost };
}

/** Checks the kill figures against the at-least-once contract. */
export async function expectOnlyInFlightRepeated(
  db: TestDatabase,
  sink: SmtpSink,
  figures: KillFigures & { ids: string[] },
  concurrency: number,
): Promise<void> {
  const { ids, inFlightAtKill, duplicates } = figures;
  expect(figures.lost).toBe(0);
  expect(await statusCounts(db.url)).toEqual({ sent: ids.length });
  const received = tally(sink.messageIds);
  // One Message-ID per message: the relay saw exactly the accepted ids, nothing else.
  expect(new Set(received.keys())).toEqual(new Set(ids.map(messageIdOf)));
  for (const leased of inFlightAtKill) {
    expect(leased.length).toBeGreaterThan(0);
    // Leases are claims: one sending and one ready per send slot (DISPATCH_CONCURRENCY).
    expect(leased.length).toBeLessThanOrEqual(concurrency * CLAIMS_PER_SEND_SLOT);
  }
  const everInFlight = new Set(inFlightAtKill.flat());
  // Only a message in flight at a kill may arrive again, and at most once more per kill it saw.
  expect(duplicates.filter((id) => !everInFlight.has(id))).toEqual([]);
  for (const id of duplicates) {
    const kills = inFlightAtKill.filter((leased) => leased.includes(id)).length;
    expect(received.get(messageIdOf(id))).toBeLessThanOrEqual(1 + kills);
  }
  // The outbox agrees: messages that were in flight took one more attempt per kill, no others did.
  const rows = await outboxRows(db.url, ids);
  for (const row of rows) {
    const kills = inFlightAtKill.filter((leased) => leased.includes(row.id)).length;
    expect({ id: row.id, attempts: row.attempts }).toEqual({ id: row.id, attempts: 1 + kills });
  }
}

export interface TermFigures {
  outcome: LoadOutcome;
  stored: number;
  lost: number;
  duplicates: number;
}

export function describeTermFigures(f: TermFigures): string {
  const refused = [...f.outcome.refused].map(([s, n]) => `${n} x ${s}`).join(', ');
  return (
    `${f.outcome.accepted.length} answered 202, ${f.stored} stored, ` +
    `${refused === '' ? 'no refusals' : `refused ${refused}`}, ` +
    `${f.outcome.networkErrors} without an answer, duplicates ${f.duplicates}, lost ${f.lost}`
  );
}

/**
 * Starts a gateway, streams single accepts at it from `clients` loops, SIGTERMs it once
 * `acceptedBeforeTerm` were answered 202, checks the clean exit, restarts it, and checks that
 * every 202 was sent (once: SIGTERM lets in-flight sends finish).
 */
export async function terminateUnderLoadAndRestart(options: {
  db: TestDatabase;
  sink: SmtpSink;
  children: ChildApp[];
  env: Record<string, string>;
  clients: number;
  acceptedBeforeTerm: number;
  timeoutMs: number;
}): Promise<TermFigures> {
  const { db, sink, children } = options;
  const env = { DATABASE_URL: db.url, ...options.env };
  const gateway = await startChildApp(env);
  children.push(gateway);
  const key = await createKey(handle(gateway), newTenantId());
  await configureSmtp(handle(gateway), key.token, {
    port: sink.port,
    user: 'sender@example.test',
    pass: 'p',
  });

  const load = streamAccepts(gateway, key, {
    clients: options.clients,
    deadlineMs: options.timeoutMs,
  });
  await waitFor(() => load.outcome.accepted.length >= options.acceptedBeforeTerm, {
    timeoutMs: options.timeoutMs,
    what: `${options.acceptedBeforeTerm} accepted under load`,
  });
  gateway.child.kill('SIGTERM');
  const exit = await gateway.exited;
  const outcome = await load.done;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(gateway.output.join('\n')).toContain('stopped cleanly');
  // Answers while stopping are 202, or fastify's 503 (Connection: close) to requests that arrive
  // on an open connection once the server is closing; never a 500.
  expect([...outcome.refused.keys()].filter((status) => status !== 503)).toEqual([]);
  // Nothing is left leased to the stopped process.
  expect((await statusCounts(db.url)).sending ?? 0).toBe(0);

  const next = await startChildApp(env);
  children.push(next);
  const stored = await outboxRows(db.url);
  await waitFor(async () => (await statusCounts(db.url)).sent === stored.length, {
    timeoutMs: options.timeoutMs,
    what: `all ${stored.length} stored messages sent`,
  });
  const storedIds = new Set(stored.map((r) => r.id));
  const received = tally(sink.messageIds);
  const lost = outcome.accepted.filter(
    (id) => !storedIds.has(id) || !received.has(messageIdOf(id)),
  );
  expect(lost).toEqual([]);
  const duplicates = [...received.values()].filter((n) => n > 1).length;
  expect(duplicates).toBe(0);
  return { outcome, stored: stored.length, lost: lost.length, duplicates };
}
