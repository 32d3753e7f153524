import type { ChildApp } from '../support/child-app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  describeTermFigures,
  expectOnlyInFlightRepeated,
  killWhileSending,
  terminateUnderLoadAndRestart,
} from './support/crash';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink';

const CONCURRENCY = 8;

/**
 * The gateway process dies (SIGKILL) or is stopped (SIGTERM) while it works. Stronger than
 * test/emails/replicas.e2e-spec.ts: which messages were in flight is recorded at the kill and
 * checked against what went out twice, and SIGTERM lands under a stream of accepts.
 */
describe('reliability: process killed or stopped while working', () => {
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

  it('SIGKILL mid-batch: nothing lost, only the in-flight messages repeat, each under one Message-ID', async () => {
    sink = await startSmtpSink({ delayMs: 25 });
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
      messages: 400,
      kills: 1,
      timeoutMs: 60_000,
    });
    await expectOnlyInFlightRepeated(db, sink, figures, CONCURRENCY);
    console.log(
      `SIGKILL: ${figures.accepted} accepted, leased (sending or ready) at the kill ${figures.inFlightAtKill[0].length} ` +
        `(concurrency ${CONCURRENCY}), duplicates ${figures.duplicates.length}, lost ${figures.lost}`,
    );
  });

  it('SIGTERM under a stream of accepts: exit 0, and every 202 is sent after a restart', async () => {
    sink = await startSmtpSink({ delayMs: 40 });
    const figures = await terminateUnderLoadAndRestart({
      db,
      sink,
      children,
      env: { DISPATCH_CONCURRENCY: '4', DISPATCH_RETRY_BASE_MS: '100' },
      clients: 6,
      acceptedBeforeTerm: 150,
      timeoutMs: 60_000,
    });
    console.log(`SIGTERM under load: ${describeTermFigures(figures)}`);
    // The restart may wait up to its own 60 s for every 202 to be sent: the test gets more.
  }, 150_000);
});
