import { anEmail, createKey, newTenantId } from '../factories/emails';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

/** The purged_total counters of one replica's /metrics. */
async function purgedCounts(t: TestApp): Promise<Record<string, number>> {
  const res = await http(t.baseUrl, 'GET', '/metrics');
  const counts: Record<string, number> = { content: 0, message: 0, attempt: 0 };
  for (const match of res.text.matchAll(/^mailgate_purged_total\{what="(\w+)"\} (\d+)$/gm)) {
    counts[match[1]] = Number(match[2]);
  }
  return counts;
}

/** `count` messages of `tenant` in `status`, with content and one attempt each, straight in SQL. */
async function insertMessages(
  db: TestDatabase,
  tenant: string,
  count: number,
  status: 'sent' | 'failed' | 'queued' | 'sending',
  finishedAgo: string | null,
): Promise<void> {
  await query(db.url, `INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING`, [tenant]);
  await query(
    db.url,
    `WITH m AS (
       INSERT INTO email_messages (id, tenant_id, status, payload, size_bytes, next_attempt_at, locked_until, created_at)
       SELECT gen_random_uuid(), $1, $2,
              jsonb_build_object('to', jsonb_build_array(jsonb_build_object('email', 'a@example.test')),
                                 'subject', 'bulk ' || i, 'text', 'body ' || i, 'html', '<p>' || i || '</p>'),
              10,
              now() + interval '1 day',
              CASE WHEN $2 = 'sending' THEN now() + interval '1 day' END,
              now() - interval '400 days'
       FROM generate_series(1, $3) AS i
       RETURNING id, tenant_id
     )
     INSERT INTO email_attempts (tenant_id, message_id, attempt_no, transport, outcome, started_at, duration_ms)
     SELECT tenant_id, id, 1, 'builtin', 'retry', now(), 5 FROM m`,
    [tenant, status, count],
  );
  if (finishedAgo !== null) {
    // An update that leaves the status alone does not fire the finish trigger: back-date it.
    await query(
      db.url,
      `UPDATE email_messages SET finished_at = now() - $2::interval WHERE tenant_id = $1`,
      [tenant, finishedAgo],
    );
  }
}

describe('purge worker: content, then rows, of final messages only (issue 23)', () => {
  const apps: TestApp[] = [];
  const databases: TestDatabase[] = [];

  async function database(): Promise<TestDatabase> {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  }
  async function app(db: TestDatabase, env: Record<string, string>): Promise<TestApp> {
    const t = await startTestApp({ db, env: { MESSAGE_PURGE_INTERVAL: '1s', ...env } });
    apps.push(t);
    return t;
  }

  afterAll(async () => {
    for (const t of apps) {
      await t.close({ keepDatabase: true });
    }
    await Promise.all(databases.map((db) => db.drop()));
  });

  it('blanks content after MESSAGE_CONTENT_RETENTION and deletes rows after MESSAGE_RETENTION', async () => {
    const db = await database();
    const t = await app(db, { MESSAGE_CONTENT_RETENTION: '2s', MESSAGE_RETENTION: 'PT8S' });
    const key = await createKey(t, newTenantId());
    const sent = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      headers: { prefer: 'wait=10' },
      body: anEmail({ subject: 'Weekly report', text: 'the report body' }),
    });
    expect(sent.body.data).toMatchObject({ status: 'sent', content: 'stored' });
    expect(sent.body.data.capturedMime).toContain('the report body');
    const id = sent.body.data.id as string;
    // Waiting messages, a year old: age alone never purges anything.
    const waiting = newTenantId();
    await insertMessages(db, waiting, 3, 'queued', null);
    await insertMessages(db, waiting, 2, 'sending', null);

    const purged = await waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        return res.body.data.content === 'purged' ? res.body.data : undefined;
      },
      { timeoutMs: 15_000, what: 'the content to be purged' },
    );
    expect(purged).toMatchObject({ status: 'sent', subject: 'Weekly report' });
    expect(purged.capturedMime).toBeUndefined();
    expect(Date.parse(purged.contentPurgedAt)).toBeGreaterThanOrEqual(
      Date.parse(purged.finishedAt) + 2_000,
    );
    expect(purged.attempts).toHaveLength(1);
    const [row] = await query<{ payload: Record<string, unknown>; mime: string | null }>(
      db.url,
      `SELECT payload, captured_mime AS mime FROM email_messages WHERE id = $1`,
      [id],
    );
    expect(Object.keys(row.payload).sort()).toEqual(['subject', 'to']);
    expect(row.mime).toBeNull();

    await waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        return res.status === 404;
      },
      { timeoutMs: 20_000, what: 'the row to expire' },
    );
    const attempts = await query<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM email_attempts WHERE message_id = $1`,
      [id],
    );
    expect(attempts[0].n).toBe(0);

    const untouched = await query<{ status: string; text: string; purged: Date | null }>(
      db.url,
      `SELECT status, payload ->> 'text' AS text, content_purged_at AS purged
         FROM email_messages WHERE tenant_id = $1`,
      [waiting],
    );
    expect(untouched).toHaveLength(5);
    expect(untouched.every((r) => r.text.startsWith('body ') && r.purged === null)).toBe(true);
    const counts = await purgedCounts(t);
    expect(counts).toEqual({ content: 1, message: 1, attempt: 1 });
    expect(t.logs.join('\n')).toMatch(/"msg":"purged expired message data"/);
  });

  it('lets two replicas purge thousands of rows together, each row once', async () => {
    const db = await database();
    await app(db, { MAILGATE_ROLE: 'api' }); // migrates; no purge worker in the api role
    const expired = newTenantId();
    const stale = newTenantId();
    const fresh = newTenantId();
    await insertMessages(db, expired, 2_500, 'sent', '2 days');
    await insertMessages(db, stale, 1_500, 'failed', '2 hours');
    await insertMessages(db, fresh, 50, 'sent', '1 minute');
    const env = { MESSAGE_CONTENT_RETENTION: '1h', MESSAGE_RETENTION: '1d' };
    const [a, b] = await Promise.all([app(db, env), app(db, env)]);

    await waitFor(
      async () => {
        const [left] = await query<{ expired: number; stale: number }>(
          db.url,
          `SELECT count(*) FILTER (WHERE tenant_id = $1)::int AS expired,
                  count(*) FILTER (WHERE tenant_id = $2 AND content_purged_at IS NULL)::int AS stale
             FROM email_messages`,
          [expired, stale],
        );
        return left.expired === 0 && left.stale === 0;
      },
      { timeoutMs: 30_000, what: 'both replicas to purge the backlog' },
    );
    const [ca, cb] = await Promise.all([purgedCounts(a), purgedCounts(b)]);
    // Counted once across replicas: no row was purged twice, none deleted by both.
    expect(ca.message + cb.message).toBe(2_500);
    expect(ca.attempt + cb.attempt).toBe(2_500);
    expect(ca.content + cb.content).toBe(1_500);
    const rows = await query<{ tenant: string; n: number; purged: number }>(
      db.url,
      `SELECT tenant_id AS tenant, count(*)::int AS n,
              count(content_purged_at)::int AS purged
         FROM email_messages GROUP BY 1`,
    );
    expect(rows.find((r) => r.tenant === stale)).toMatchObject({ n: 1_500, purged: 1_500 });
    expect(rows.find((r) => r.tenant === fresh)).toMatchObject({ n: 50, purged: 0 });
    const logs = [...a.logs, ...b.logs].join('\n');
    expect(logs).not.toMatch(/purge cycle stopped early/);
  });

  it('deletes delivered and failed webhook deliveries after MESSAGE_RETENTION, never pending ones', async () => {
    const db = await database();
    await app(db, { MAILGATE_ROLE: 'api' }); // migrates; no purge worker in the api role
    const tenant = newTenantId();
    // Expired messages: their pending delivery must outlive them (it carries its own payload).
    await insertMessages(db, tenant, 3, 'sent', '2 days');
    await query(
      db.url,
      `INSERT INTO webhook_endpoints (tenant_id, id, url, secret_ciphertext)
       VALUES ($1, 'ep_purge', 'http://127.0.0.1:9/hooks', 'not used: nothing is due')`,
      [tenant],
    );
    // `ended` is the last attempt (null: failed before any, e.g. its endpoint was disabled).
    const deliveries = async (
      label: string,
      count: number,
      status: string,
      ended: string | null,
      created = '400 days',
    ): Promise<void> => {
      await query(
        db.url,
        `INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_type, email_id, payload,
                                         status, attempts, next_attempt_at, locked_until,
                                         last_attempt_at, created_at, delivered_at)
         SELECT $1, $2 || '_' || i, 'ep_purge', 'email.sent',
                (SELECT id FROM email_messages WHERE tenant_id = $1 ORDER BY id LIMIT 1),
                '{"type":"email.sent"}', $3, 1,
                now() + interval '1 day',
                CASE WHEN $3 = 'delivering' THEN now() + interval '1 day' END,
                now() - $4::interval, now() - $5::interval,
                CASE WHEN $3 = 'delivered' THEN now() - $4::interval END
         FROM generate_series(1, $6) AS i`,
        [tenant, label, status, ended, created, count],
      );
    };
    await deliveries('old_delivered', 620, 'delivered', '2 days');
    await deliveries('old_failed', 40, 'failed', '26 hours');
    await deliveries('old_never_tried', 1, 'failed', null, '3 days');
    await deliveries('recent_failed', 7, 'failed', '1 hour');
    await deliveries('recent_never_tried', 1, 'failed', null, '1 minute');
    await deliveries('recent_delivered', 5, 'delivered', '1 minute', '2 days');
    await deliveries('old_pending', 4, 'pending', '3 days');
    await deliveries('old_delivering', 2, 'delivering', '3 days');

    const t = await app(db, { MESSAGE_CONTENT_RETENTION: '1h', MESSAGE_RETENTION: '1d' });
    const left = await waitFor(
      async () => {
        const rows = await query<{ label: string; n: number }>(
          db.url,
          `SELECT split_part(id, '_', 1) || '_' || split_part(id, '_', 2) AS label,
                  count(*)::int AS n
             FROM webhook_deliveries WHERE tenant_id = $1 GROUP BY 1`,
          [tenant],
        );
        const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.n]));
        return byLabel.old_delivered === undefined && byLabel.old_failed === undefined
          ? byLabel
          : undefined;
      },
      { timeoutMs: 20_000, what: 'the expired webhook deliveries to be deleted' },
    );
    expect(left).toEqual({
      recent_failed: 7,
      recent_never: 1,
      recent_delivered: 5,
      old_pending: 4,
      old_delivering: 2,
    });
    // More than one batch of 500, each counted once.
    const counts = await purgedCounts(t);
    expect(counts.webhook_deliveries).toBe(661);
    expect(counts.message).toBe(3);
    const messages = await query<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM email_messages WHERE tenant_id = $1`,
      [tenant],
    );
    expect(messages[0].n).toBe(0);
  });

  it('leaves nothing behind a deleted message: every reference to it cascades', async () => {
    const db = await database();
    const t = await app(db, {});
    expect(t.env.retention).toMatchObject({
      contentMs: 7 * 86_400_000,
      messageMs: 90 * 86_400_000,
    });
    // Tables that reference a message (attempts, events) must go with it, or the purge's
    // DELETE would fail on their foreign key. (Webhook deliveries have none: they outlive it.)
    const references = await query<{ name: string; action: string }>(
      db.url,
      `SELECT conrelid::regclass::text AS name, confdeltype AS action
         FROM pg_constraint WHERE contype = 'f' AND confrelid = 'email_messages'::regclass`,
    );
    expect(references.length).toBeGreaterThan(0);
    expect(references.filter((r) => r.action !== 'c')).toEqual([]);
  });
});
