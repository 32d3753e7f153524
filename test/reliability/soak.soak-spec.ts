import type { ChildApp } from '../support/child-app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  describeTermFigures,
  expectOnlyInFlightRepeated,
  killWhileSending,
  terminateUnderLoadAndRestart,
} from './support/crash';
import { describeHostileInput } from './support/hostile-input.suite';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

/**
 * The longer runs behind `npm run test:soak` (not part of `npm test`): more generated inputs,
 * more messages, repeated kills, heavier load at SIGTERM. Loopback only; every wait has a deadline.
 * Sizes can be turned down (or up) with MAILGATE_SOAK_* variables.
 */
const FUZZ_RUNS = Number(process.env.MAILGATE_SOAK_FUZZ_RUNS ?? 2_000);
const MESSAGES = Number(process.env.MAILGATE_SOAK_MESSAGES ?? 3_000);
const KILLS = Number(process.env.MAILGATE_SOAK_KILLS ?? 4);
const CONCURRENCY = 16;

describeHostileInput(FUZZ_RUNS);

describe('soak: the process killed or stopped while working', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  const children: ChildApp[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.dispose()));
    await sink?.close();
    await db.drop();
  });

  it(`${KILLS} SIGKILLs while sending ${MESSAGES} messages: nothing lost, only in-flight repeats`, async () => {
    sink = await startSmtpSink({ delayMs: 10 });
    const figures = await killWhileSending({
      db,
      sink,
      children,
      env: {
        DISPATCH_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_TENANT_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_LEASE_MS: '2000',
        DISPATCH_RETRY_BASE_MS: '100',
      },
      messages: MESSAGES,
      kills: KILLS,
      timeoutMs: 300_000,
    });
    await expectOnlyInFlightRepeated(db, sink, figures, CONCURRENCY);
    console.log(
      `soak SIGKILL x${KILLS}: ${figures.accepted} accepted, in flight at each kill ` +
        `${figures.inFlightAtKill.map((l) => l.length).join('/')} (concurrency ${CONCURRENCY}), ` +
        `duplicates ${figures.duplicates.length}, lost ${figures.lost}`,
    );
  });

  it('SIGTERM under heavy accept load: exit 0, every 202 sent once after a restart', async () => {
    sink = await startSmtpSink({ delayMs: 20 });
    const figures = await terminateUnderLoadAndRestart({
      db,
      sink,
      children,
      env: {
        DISPATCH_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_TENANT_CONCURRENCY: String(CONCURRENCY),
        DISPATCH_RETRY_BASE_MS: '100',
      },
      clients: 16,
      acceptedBeforeTerm: 1_500,
      timeoutMs: 300_000,
    });
    console.log(`soak SIGTERM under load: ${describeTermFigures(figures)}`);
  });
});
