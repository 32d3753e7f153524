import { acceptWhileInsertsHeld } from '../support/held-inserts';
import { query } from '../support/database';
import { Client } from 'pg';
import { http, startTestApp, waitFor, type HttpResult, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, rootHeaders, type TestKey } from '../factories/emails';

describe('POST /v1/emails and friends (accept side; dispatcher off)', () => {
  let t: TestApp;
  let tenant: string;
  let key: TestKey;

  beforeAll(async () => {
    // MAILGATE_ROLE=api: nothing is sent, so statuses stay where the accept path put them.
    t = await startTestApp({ env: { MAILGATE_ROLE: 'api', MAX_MESSAGE_BYTES: String(64 * 1024) } });
    tenant = newTenantId();
    key = await createKey(t, tenant);
  });
  afterAll(async () => {
    await t.close();
  });

  const send = (body: unknown, headers: Record<string, string> = {}, token = key.token) =>
    http(t.baseUrl, 'POST', '/v1/emails', { body, headers, token });

  it('commits the row before answering 202 { id, status: queued }', async () => {
    // A deferred trigger makes every COMMIT that inserted a message wait for an advisory lock the
    // test holds: while the commit is held, the answer must not have come, nor the row be visible.
    const holder = new Client({ connectionString: t.db.url });
    await holder.connect();
    let res: Awaited<ReturnType<typeof send>>;
    try {
      await holder.query(`
        CREATE FUNCTION test_hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_lock(4711); PERFORM pg_advisory_unlock(4711); RETURN NULL; END $$;
        CREATE CONSTRAINT TRIGGER test_hold_commit AFTER INSERT ON email_messages
          DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_hold_commit();`);
      await holder.query('SELECT pg_advisory_lock(4711)');
      let answered = false;
      const pending = send(anEmail({ tags: ['otp'], metadata: { userId: 'u1' } })).then((r) => {
        answered = true;
        return r;
      });
      await waitFor(
        async () =>
          (
            await holder.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
            )
          ).rows[0].n === 1 || undefined,
        { what: 'the accept commit waiting on the held lock' },
      );
      expect(answered).toBe(false);
      expect(
        (
          await holder.query('SELECT 1 FROM email_messages WHERE tenant_id = $1 AND tags = $2', [
            tenant,
            ['otp'],
          ])
        ).rows,
      ).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock(4711)');
      res = await pending;
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      await holder.query(`DROP TRIGGER IF EXISTS test_hold_commit ON email_messages;
        DROP FUNCTION IF EXISTS test_hold_commit()`);
      await holder.end();
    }
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      statusCode: 202,
      message: 'success',
      data: { id: expect.any(String), status: 'queued' },
    });
    const rows = await query(
      t.db.url,
      'SELECT status, tenant_id, tags, metadata FROM email_messages WHERE id = $1',
      [res.body.data.id],
    );
    expect(rows).toEqual([
      { status: 'queued', tenant_id: tenant, tags: ['otp'], metadata: { userId: 'u1' } },
    ]);
  });

  it('accepts plain strings and { name, email } objects for addresses', async () => {
    const res = await send(
      anEmail({
        to: 'a@example.test',
        cc: ['b@example.test'],
        bcc: [{ email: 'c@example.test' }],
        from: { name: 'Støre', email: 'no-reply@example.test' },
        replyTo: 'help@example.test',
      }),
    );
    expect(res.status).toBe(202);
  });

  it('names every failing field', async () => {
    const res = await send({
      to: ['not-an-address', { email: 'ok@example.test', name: 'Evil\r\nBcc: x@y.test' }],
      subject: 'Hi\r\nBcc: victim@example.test',
      headers: { 'X-Ok': 'fine', 'X-Bad': 'a\nb', From: 'spoof@example.test' },
      attachments: [{ filename: 'a.txt', content: '***' }],
      surprise: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.apiCode).toBe(40000);
    const fields = res.body.data.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'to.0',
        'to.1.name',
        'subject',
        'text',
        'headers.X-Bad',
        'headers.From',
        'attachments.0.content',
        'surprise',
      ]),
    );
  });

  it('refuses an empty body, no recipient and more than 50 recipients', async () => {
    const empty = await send(anEmail({ text: '', html: undefined }));
    expect(empty.status).toBe(400);
    expect(empty.body.data.errors.map((e: { field: string }) => e.field)).toContain('text');
    const none = await send(anEmail({ to: [] }));
    expect(none.status).toBe(400);
    const many = Array.from({ length: 51 }, (_, i) => `r${i}@example.test`);
    const tooMany = await send(anEmail({ to: many }));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/at most 50 recipients/);
  });

  it('answers 413 for a message over MAX_MESSAGE_BYTES and stores nothing', async () => {
    const before = await query(t.db.url, 'SELECT count(*)::int AS n FROM email_messages');
    const res = await send(
      anEmail({
        attachments: [
          { filename: 'big.bin', content: Buffer.alloc(70 * 1024, 1).toString('base64') },
        ],
      }),
    );
    expect(res.status).toBe(413);
    expect(res.body.apiCode).toBe(41300);
    expect(await query(t.db.url, 'SELECT count(*)::int AS n FROM email_messages')).toEqual(before);
  });

  it('lets the root key send for a tenant that has no row yet', async () => {
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      body: anEmail(),
      headers: rootHeaders(newTenantId()),
    });
    expect(res.status).toBe(202);
  });

  it('commits accepts that wait for a busy insert together, each row under its own tenant', async () => {
    const otherTenant = newTenantId();
    const keys = [
      { tenantId: tenant, token: key.token },
      { tenantId: otherTenant, token: (await createKey(t, otherTenant)).token },
    ];
    // Inserts block: 4 statements take the group commit's slots, the other 116 wait.
    const answers = await acceptWhileInsertsHeld(
      { baseUrl: t.baseUrl, databaseUrl: t.db.url },
      116,
      () =>
        Promise.all(
          Array.from({ length: 120 }, (_, i) =>
            send(anEmail({ subject: `group ${i}` }), {}, keys[i % 2].token).then(
              (res: HttpResult<{ data: { id: string } }>) => ({ i, res }),
            ),
          ),
        ),
    );
    expect(answers.map(({ res }) => res.status)).toEqual(answers.map(() => 202));
    const rows = await query<{ id: string; tenant_id: string; subject: string; tx: string }>(
      t.db.url,
      `SELECT id, tenant_id, payload->>'subject' AS subject, xmin::text AS tx
       FROM email_messages WHERE id = ANY($1::uuid[])`,
      [answers.map(({ res }) => res.body.data.id)],
    );
    expect(rows).toHaveLength(120);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const { i, res } of answers) {
      expect(byId.get(res.body.data.id)).toMatchObject({
        tenant_id: keys[i % 2].tenantId,
        subject: `group ${i}`,
      });
    }
    // Rows of one INSERT share a transaction id: the 4 blocked ones, then the 116 together.
    expect(new Set(rows.map((r) => r.tx)).size).toBe(5);
  });

  it('refuses a request without a key (401) or without the scope (403)', async () => {
    expect((await http(t.baseUrl, 'POST', '/v1/emails', { body: anEmail() })).status).toBe(401);
    const readOnly = await createKey(t, tenant, ['email:read']);
    expect((await send(anEmail(), {}, readOnly.token)).status).toBe(403);
  });

  describe('Idempotency-Key', () => {
    it('returns the first message for the same key (200, same id) and never a second row', async () => {
      const first = await send(anEmail(), { 'idempotency-key': 'order-1' });
      const second = await send(anEmail(), { 'idempotency-key': 'order-1' });
      expect(first.status).toBe(202);
      expect(second.status).toBe(200);
      expect(second.body.data.id).toBe(first.body.data.id);
      const rows = await query(
        t.db.url,
        `SELECT count(*)::int AS n FROM email_messages WHERE idempotency_key = 'order-1'`,
      );
      expect(rows[0].n).toBe(1);
    });

    it('answers 409 when the key is reused with a different body', async () => {
      await send(anEmail(), { 'idempotency-key': 'order-2' });
      const res = await send(anEmail({ subject: 'Something else' }), {
        'idempotency-key': 'order-2',
      });
      expect(res.status).toBe(409);
      expect(res.body.apiCode).toBe(40901);
    });

    it('creates one row under concurrent identical requests', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => send(anEmail(), { 'idempotency-key': 'race-1' })),
      );
      const ids = new Set(results.map((r) => r.body.data.id));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.status === 202)).toHaveLength(1);
      const rows = await query(
        t.db.url,
        `SELECT count(*)::int AS n FROM email_messages WHERE idempotency_key = 'race-1'`,
      );
      expect(rows[0].n).toBe(1);
    });

    it('keeps keys apart per tenant', async () => {
      const other = await createKey(t, `${tenant}-b`);
      const a = await send(anEmail(), { 'idempotency-key': 'shared' });
      const b = await send(anEmail(), { 'idempotency-key': 'shared' }, other.token);
      expect(a.status).toBe(202);
      expect(b.status).toBe(202);
      expect(a.body.data.id).not.toBe(b.body.data.id);
    });
  });

  describe('POST /v1/emails/batch', () => {
    it('accepts 500 messages in one request', async () => {
      const messages = Array.from({ length: 500 }, (_, i) =>
        anEmail({ subject: `Batch ${i}`, tags: ['batch'] }),
      );
      const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages },
      });
      expect(res.status).toBe(202);
      expect(res.body.data.accepted).toBe(500);
      expect(res.body.data.results).toHaveLength(500);
      const ids = res.body.data.results.map((r: { id: string }) => r.id);
      const rows = await query(
        t.db.url,
        'SELECT count(*)::int AS n FROM email_messages WHERE id = ANY($1::uuid[])',
        [ids],
      );
      expect(rows[0].n).toBe(500);
      const tags = await query(t.db.url, 'SELECT tags FROM email_messages WHERE id = $1', [ids[0]]);
      expect(tags[0].tags).toEqual(['batch']);
    });

    it('reports per-item errors by index and accepts the valid items', async () => {
      const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages: [anEmail(), anEmail({ to: 'nope' }), anEmail()] },
      });
      expect(res.status).toBe(202);
      expect(res.body.data).toMatchObject({ accepted: 2, rejected: 1 });
      expect(res.body.data.results[1]).toEqual({
        index: 1,
        errors: [{ field: 'messages.1.to', messages: [expect.any(String)] }],
      });
      expect(res.body.data.results[0]).toMatchObject({
        index: 0,
        id: expect.any(String),
        status: 'queued',
      });
    });

    it('refuses more than 500 messages, and a batch where nothing is valid', async () => {
      const tooMany = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages: Array.from({ length: 501 }, () => anEmail()) },
      });
      expect(tooMany.status).toBe(400);
      const allBad = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages: [{ to: 'x' }] },
      });
      expect(allBad.status).toBe(400);
      expect(allBad.body.data.errors[0].field).toMatch(/^messages\.0\./);
    });
  });

  describe('reading', () => {
    it('shows a message with its attempts, and another tenant gets 404', async () => {
      const sent = await send(anEmail());
      const id = sent.body.data.id as string;
      const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        id,
        status: 'queued',
        attemptCount: 0,
        attempts: [],
        subject: 'Your sign-in code',
      });
      const stranger = await createKey(t, newTenantId());
      expect(
        (await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: stranger.token })).status,
      ).toBe(404);
      expect(
        (await http(t.baseUrl, 'POST', `/v1/emails/${id}/retry`, { token: stranger.token })).status,
      ).toBe(404);
      expect(
        (await http(t.baseUrl, 'GET', '/v1/emails/not-a-uuid', { token: key.token })).status,
      ).toBe(404);
    });

    it('lists with a status filter and keyset pagination', async () => {
      const own = await createKey(t, newTenantId());
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        ids.push((await send(anEmail({ subject: `List ${i}` }), {}, own.token)).body.data.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/emails?status=queued&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page = await http(t.baseUrl, 'GET', path, { token: own.token });
        expect(page.status).toBe(200);
        seen.push(...page.body.data.items.map((item: { id: string }) => item.id));
        cursor = page.body.data.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual([...ids].reverse());
      const none = await http(t.baseUrl, 'GET', '/v1/emails?status=sent', { token: own.token });
      expect(none.body.data.items).toEqual([]);
      const bad = await http(t.baseUrl, 'GET', '/v1/emails?status=lost&limit=0&cursor=zzz', {
        token: own.token,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.data.errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['status', 'limit']),
      );
    });

    it('pages through a batch whose rows share one created_at without losing any', async () => {
      const own = await createKey(t, newTenantId());
      const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: own.token,
        body: { messages: Array.from({ length: 7 }, (_, i) => anEmail({ subject: `B${i}` })) },
      });
      const ids = res.body.data.results.map((r: { id: string }) => r.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const path: string = `/v1/emails?limit=3${cursor === null ? '' : `&cursor=${cursor}`}`;
        const page = await http(t.baseUrl, 'GET', path, { token: own.token });
        seen.push(...page.body.data.items.map((item: { id: string }) => item.id));
        cursor = page.body.data.nextCursor;
      } while (cursor !== null);
      expect([...seen].sort()).toEqual([...ids].sort());
    });

    it('retries only failed messages (409 otherwise)', async () => {
      const sent = await send(anEmail());
      const id = sent.body.data.id as string;
      expect(
        (await http(t.baseUrl, 'POST', `/v1/emails/${id}/retry`, { token: key.token })).status,
      ).toBe(409);
      await query(
        t.db.url,
        `UPDATE email_messages SET status = 'failed', attempts = 8 WHERE id = $1`,
        [id],
      );
      const res = await http(t.baseUrl, 'POST', `/v1/emails/${id}/retry`, { token: key.token });
      expect(res.status).toBe(202);
      expect(res.body.data).toEqual({ id, status: 'queued' });
      const rows = await query(
        t.db.url,
        'SELECT status, attempts FROM email_messages WHERE id = $1',
        [id],
      );
      expect(rows).toEqual([{ status: 'queued', attempts: 0 }]);
    });
  });
});
