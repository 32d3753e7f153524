import type { Database } from '../config/database';
import { EmailDispatchRepository } from './email-dispatch.repository';
import { emptyOutcome } from './recipient-outcomes';

/** A Database that records how each statement was sent instead of running it. */
function recordingDatabase(): { db: Database; calls: Array<{ prepared: boolean; text: string }> } {
  const calls: Array<{ prepared: boolean; text: string }> = [];
  const db = {
    query: (text: string) => {
      calls.push({ prepared: false, text });
      return Promise.resolve([]);
    },
    prepared: (_name: string, text: string) => {
      calls.push({ prepared: true, text });
      return Promise.resolve([]);
    },
  };
  return { db: db as unknown as Database, calls };
}

describe('EmailDispatchRepository: statements that join a list of message keys', () => {
  it('are planned per call, never kept as a prepared generic plan (Database.prepared)', async () => {
    const { db, calls } = recordingDatabase();
    const repo = new EmailDispatchRepository(db);
    const key = { tenantId: 'acme', id: '00000000-0000-4000-8000-000000000001' };
    await repo.markSent(
      key,
      { transport: 'provider:custom', configVersion: 1, startedAt: new Date(), durationMs: 5 },
      {
        providerMessageId: null,
        fallbackReason: null,
        outcome: emptyOutcome(),
        retryAt: null,
        attemptOutcome: 'sent',
      },
    );
    await repo.recipientPlans([{ ...key, keys: ['ada@example.com'] }]);
    expect(calls).toHaveLength(2);
    // A generic plan made while the outbox was small scans all of it once it has grown.
    expect(calls.filter((c) => c.prepared)).toEqual([]);
    // Joined on the whole primary key: one row per key, known without statistics.
    expect(calls[0].text).toMatch(/e\.tenant_id = s\.tenant_id AND e\.id = s\.id/);
    expect(calls[1].text).toMatch(/m\.tenant_id = p\.tenant_id AND m\.id = p\.id/);
  });
});
