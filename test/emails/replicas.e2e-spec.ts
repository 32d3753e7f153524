import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { startChildApp, type ChildApp } from '../support/child-app';
import { startSlowSmtpSink, type SlowSmtpSink } from '../support/slow-smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId } from '../factories/emails';
import { parseExposition } from '../operability/prometheus-text';

/** Messages this one instance sent (its own metrics registry), over every transport label. */
async function sentBy(t: TestApp): Promise<number> {
  const res = await http(t.baseUrl, 'GET', '/metrics');
  return parseExposition(res.text)
    .samples.filter((s) => s.name === 'mailgate_emails_sent_total')
    .reduce((n, s) => n + s.value, 0);
}

async function statusCounts(url: string): Promise<Record<string, number>> {
  const rows = await query<{ status: string; n: number }>(
    url,
    'SELECT status, count(*)::int AS n FROM email_messages GROUP BY status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
}

describe('replicas, crashes and shutdown (one database, several gateways)', () => {
  let db: TestDatabase;
  let sink: SlowSmtpSink;
  const children: ChildApp[] = [];
  const apps: TestApp[] = [];

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.dispose()));
    await Promise.all(apps.splice(0).map((a) => a.close({ keepDatabase: true })));
    await sink?.close();
    await db.drop();
  });

  async function batch(t: { baseUrl: string }, token: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; offset < count; offset += 500) {
      const n = Math.min(500, count - offset);
      const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token,
        body: {
          messages: Array.from({ length: n }, (_, i) => anEmail({ subject: `m${offset + i}` })),
        },
      });
      expect(res.status).toBe(202);
      ids.push(...res.body.data.results.map((r: { id: string }) => r.id));
    }
    return ids;
  }

  it('two instances on one database deliver 500 messages exactly once', async () => {
    sink = await startSlowSmtpSink(0);
    const [a, b] = await Promise.all([startTestApp({ db }), startTestApp({ db })]);
    apps.push(a, b);
    const key = await createKey(a, newTenantId());
    await configureSmtp(a, key.token, { port: sink.port, user: 'u@example.test', pass: 'p' });
    const ids = await batch(a, key.token, 500);
    await waitFor(async () => (await statusCounts(db.url)).sent === 500, {
      timeoutMs: 60_000,
      what: '500 sent',
    });
    expect(sink.messageIds).toHaveLength(500);
    expect(duplicates(sink.messageIds)).toEqual([]);
    expect(new Set(sink.messageIds)).toEqual(new Set(ids.map((id) => `<${id}@example.test>`)));
    // Both instances took part: neither stood idle while the other sent everything.
    const [byA, byB] = await Promise.all([sentBy(a), sentBy(b)]);
    expect(byA + byB).toBe(500);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
  });

  it('claims the expired leases of a dead replica ahead of a queued backlog', async () => {
    sink = await startSlowSmtpSink(300);
    const api = await startTestApp({ db, env: { MAILGATE_ROLE: 'api' } });
    apps.push(api);
    const key = await createKey(api, newTenantId());
    await configureSmtp(api, key.token, { port: sink.port, user: 'u@example.test', pass: 'p' });
    const ids = await batch(api, key.token, 60);
    const stranded = ids.slice(40, 45);
    // What a replica that died mid-send leaves behind: rows still sending, their lease run out.
    await query(
      db.url,
      `UPDATE email_messages SET status = 'sending', attempts = 1, locked_by = 'dead-replica',
         locked_until = now() - interval '1 second' WHERE id = ANY($1::uuid[])`,
      [stranded],
    );
    const worker = await startTestApp({ db, env: { DISPATCH_CONCURRENCY: '5' } });
    apps.push(worker);
    await waitFor(async () => (await statusCounts(db.url)).sent === 60, {
      timeoutMs: 60_000,
      what: 'all 60 sent',
    });
    // The first claim (5 slots) took exactly the stranded rows; each send holds its slot 300 ms.
    const firstStarted = await query<{ message_id: string; attempt_no: number }>(
      db.url,
      'SELECT message_id, attempt_no FROM email_attempts ORDER BY started_at, id LIMIT 5',
    );
    expect(firstStarted.map((a) => a.message_id).sort()).toEqual([...stranded].sort());
    expect(firstStarted.map((a) => a.attempt_no)).toEqual([2, 2, 2, 2, 2]);
    expect(duplicates(sink.messageIds)).toEqual([]);
  });

  it('an instance SIGKILLed mid-send loses nothing: another one finishes after the lease expires', async () => {
    sink = await startSlowSmtpSink(40);
    const env = { DATABASE_URL: db.url, DISPATCH_LEASE_MS: '2000', DISPATCH_CONCURRENCY: '4' };
    const first = await startChildApp(env);
    children.push(first);
    const key = await createKey({ baseUrl: first.baseUrl } as TestApp, newTenantId());
    await configureSmtp({ baseUrl: first.baseUrl } as TestApp, key.token, {
      port: sink.port,
      user: 'u@example.test',
      pass: 'p',
    });
    const ids = await batch(first, key.token, 200);
    await waitFor(() => sink.messageIds.length >= 20, { timeoutMs: 30_000, what: '20 delivered' });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const inFlight = (await statusCounts(db.url)).sending ?? 0;

    const second = await startChildApp(env);
    children.push(second);
    await waitFor(async () => (await statusCounts(db.url)).sent === 200, {
      timeoutMs: 60_000,
      what: 'all 200 sent',
    });
    const delivered = new Set(sink.messageIds);
    for (const id of ids) {
      expect(delivered.has(`<${id}@example.test>`)).toBe(true);
    }
    // Only messages that were in flight at the kill may arrive twice (at-least-once), same Message-ID.
    expect(duplicates(sink.messageIds).length).toBeLessThanOrEqual(Math.max(inFlight, 4));
  });

  it('SIGTERM: readiness turns 503, in-flight sends finish, leases are released, exit code 0', async () => {
    sink = await startSlowSmtpSink(400);
    const env = { DATABASE_URL: db.url, DISPATCH_CONCURRENCY: '4' };
    const gw = await startChildApp(env);
    children.push(gw);
    const key = await createKey({ baseUrl: gw.baseUrl } as TestApp, newTenantId());
    await configureSmtp({ baseUrl: gw.baseUrl } as TestApp, key.token, {
      port: sink.port,
      user: 'u@example.test',
      pass: 'p',
    });
    const ids = await batch(gw, key.token, 40);
    await waitFor(() => sink.messageIds.length >= 4, {
      timeoutMs: 30_000,
      what: 'first deliveries',
    });
    gw.child.kill('SIGTERM');
    const ready = await waitFor(
      async () => {
        const res = await fetch(`${gw.baseUrl}/health/ready`).catch(() => undefined);
        return res?.status === 503 ? res.status : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 10, what: 'ready=503 while draining' },
    );
    expect(ready).toBe(503);
    expect(await gw.exited).toEqual({ code: 0, signal: null });
    const counts = await statusCounts(db.url);
    expect(counts.sending ?? 0).toBe(0);
    expect((counts.sent ?? 0) + (counts.queued ?? 0)).toBe(40);
    expect(gw.output.join('\n')).toContain('stopped cleanly');

    // The rest goes out once another gateway runs.
    const next = await startChildApp(env);
    children.push(next);
    await waitFor(async () => (await statusCounts(db.url)).sent === 40, {
      timeoutMs: 60_000,
      what: 'all 40 sent',
    });
    // Draining finished the in-flight sends instead of leaving them to be sent again.
    expect(duplicates(sink.messageIds)).toEqual([]);
    expect(new Set(sink.messageIds)).toEqual(new Set(ids.map((id) => `<${id}@example.test>`)));
  });
});
