import {
  CLAIM_MAX_TENANTS_WALKED,
  CLAIM_STATEMENT,
  EmailDispatchRepository,
} from '../../src/emails/email-dispatch.repository';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { startSlowSmtpSink, type SlowSmtpSink } from '../support/slow-smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

/** `count` queued rows of `tenantId`, written straight into the outbox (a backlog, fast). */
async function queueRows(db: TestDatabase, tenantId: string, count: number): Promise<void> {
  await query(db.url, `INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING`, [tenantId]);
  await query(
    db.url,
    `INSERT INTO email_messages (id, tenant_id, status, payload, size_bytes, next_attempt_at)
     SELECT gen_random_uuid(), $1, 'queued', $2::jsonb, 100, now() - make_interval(secs => g)
     FROM generate_series(1, $3) g`,
    [tenantId, JSON.stringify(anEmail()), count],
  );
  await query(db.url, 'ANALYZE email_messages');
}

async function sentCount(db: TestDatabase, tenantId: string): Promise<number> {
  const [row] = await query<{ n: number }>(
    db.url,
    `SELECT count(*)::int AS n FROM email_messages WHERE tenant_id = $1 AND status = 'sent'`,
    [tenantId],
  );
  return row.n;
}

describe('fair scheduling across tenants', () => {
  describe('the claim statement', () => {
    let t: TestApp;
    beforeAll(async () => {
      // API only: the claims below are the test's own.
      t = await startTestApp({ env: { MAILGATE_ROLE: 'api' } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('serves a quiet tenant behind 100,000 queued rows of another, in bounded index work', async () => {
      const busy = `a-${newTenantId()}`;
      const quiet = `b-${newTenantId()}`;
      await queueRows(t.db, busy, 100_000);
      await queueRows(t.db, quiet, 10);
      const repo = t.app.get(EmailDispatchRepository);
      const limits = { tenantIds: [], limits: [], otherwise: 4, cursor: '' };
      const first = await repo.claim(16, 60_000, 'test-worker', limits);
      const byTenant = (messages: Array<{ tenantId: string }>, id: string): number =>
        messages.filter((m) => m.tenantId === id).length;
      // Each tenant gets its share (4), the quiet one too, though its rows are the newest.
      expect(byTenant(first.messages, busy)).toBe(4);
      expect(byTenant(first.messages, quiet)).toBe(4);
      expect(first.lastServed).toBe(quiet);
      // A tenant at its limit (0 free) is passed over; the walk resumes after the cursor.
      const second = await repo.claim(16, 60_000, 'test-worker', {
        tenantIds: [busy],
        limits: [0],
        otherwise: 4,
        cursor: first.lastServed ?? '',
      });
      expect(byTenant(second.messages, busy)).toBe(0);
      expect(byTenant(second.messages, quiet)).toBe(4);

      const plan = await query<{ 'QUERY PLAN': string }>(
        t.db.url,
        `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) ${CLAIM_STATEMENT}`,
        [16, 60_000, 'explain-worker', '', [], [], 4, CLAIM_MAX_TENANTS_WALKED],
      );
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      console.log(`claim plan, 100,000 queued for one tenant and 10 for another:\n${text}`);
      expect(text).not.toMatch(/Seq Scan on email_messages/);
      expect(text).toMatch(/email_messages_tenant_due_idx/);
      const buffers = [...text.matchAll(/shared hit=(\d+)/g)].map((m) => Number(m[1]));
      // The top node's buffers: the whole statement touched a few hundred pages, not the backlog's thousands.
      expect(buffers[0]).toBeLessThan(1_000);
    });
  });

  describe('live dispatch', () => {
    let db: TestDatabase;
    let slow: SlowSmtpSink;
    let quick: SlowSmtpSink;
    let t: TestApp;
    beforeEach(async () => {
      db = await createTestDatabase();
    });
    afterEach(async () => {
      await t?.close({ keepDatabase: true });
      await Promise.all([slow?.close(), quick?.close()]);
      await db.drop();
    });

    async function accept(key: TestKey, subject: string): Promise<string> {
      const res = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: key.token,
        body: anEmail({ subject }),
      });
      expect(res.status).toBe(202);
      return res.body.data.id as string;
    }

    it('a quiet tenant sends one message at a time past a 10,000-message backlog at 250 ms each', async () => {
      slow = await startSlowSmtpSink(250);
      quick = await startSlowSmtpSink(0);
      t = await startTestApp({ db, env: { DISPATCH_CONCURRENCY: '16' } });
      const a = newTenantId();
      const [keyA, keyB] = await Promise.all([createKey(t, a), createKey(t, newTenantId())]);
      await configureSmtp(t, keyA.token, { port: slow.port, user: 'a@example.test', pass: 'p' });
      await configureSmtp(t, keyB.token, { port: quick.port, user: 'b@example.test', pass: 'p' });
      await queueRows(db, a, 10_000);
      await waitFor(async () => (await sentCount(db, a)) >= 10, { what: 'A sending' });

      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const started = Date.now();
        const id = await accept(keyB, `quiet ${i}`);
        await waitFor(() => quick.messageIds.includes(`<${id}@example.test>`), {
          timeoutMs: 30_000,
          what: `B message ${i}`,
        });
        latencies.push(Date.now() - started);
      }
      const sentA = await sentCount(db, a);
      console.log(
        `quiet tenant behind a 10,000 backlog: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms; A sent ${sentA} meanwhile`,
      );
      // All 20 went out while A's backlog was still there (a global FIFO would put them after it).
      expect(sentA).toBeLessThan(1_500);
      // A kept its own share: 3 pooled connections busy, never more (nothing waits in the pool).
      expect(slow.messageIds.length).toBeGreaterThan(0);
    });

    it('pool: 200 messages to a slow server with a short lease are each delivered exactly once', async () => {
      slow = await startSlowSmtpSink(250);
      // 16 slots for the tenant, 3 pooled connections, a 2 s lease: before, 16 claimed sends
      // queued inside the pool (up to 16/3 x 250 ms) close to their backstop (0.8 x lease).
      t = await startTestApp({
        db,
        env: {
          DISPATCH_CONCURRENCY: '16',
          DISPATCH_TENANT_CONCURRENCY: '16',
          DISPATCH_LEASE_MS: '2000',
          DISPATCH_RETRY_BASE_MS: '100',
        },
      });
      const key = await createKey(t, newTenantId());
      await configureSmtp(t, key.token, { port: slow.port, user: 'u@example.test', pass: 'p' });
      const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages: Array.from({ length: 200 }, (_, i) => anEmail({ subject: `m${i}` })) },
      });
      expect(res.status).toBe(202);
      const ids = (res.body.data.results as Array<{ id: string }>).map((r) => r.id);
      await waitFor(
        async () => {
          const [row] = await query<{ n: number }>(
            db.url,
            `SELECT count(*)::int AS n FROM email_messages WHERE status IN ('sent', 'failed')`,
          );
          return row.n === 200;
        },
        { timeoutMs: 90_000, what: '200 final' },
      );
      expect(duplicates(slow.messageIds)).toEqual([]);
      expect(new Set(slow.messageIds)).toEqual(new Set(ids.map((id) => `<${id}@example.test>`)));
      const [failed] = await query<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM email_messages WHERE status = 'failed'`,
      );
      expect(failed.n).toBe(0);
    });
  });
});
