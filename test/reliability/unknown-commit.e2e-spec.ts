import { acceptWhileInsertsHeld } from '../support/held-inserts';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { startPgCutProxy, type PgCutProxy } from '../support/pg-cut-proxy';
import { http, startTestApp, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';

describe('a group commit whose outcome the gateway never heard (connection lost after COMMIT)', () => {
  let db: TestDatabase;
  let proxy: PgCutProxy;
  let t: TestApp;
  let key: TestKey;

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await startPgCutProxy(db.url);
    // The app reaches PostgreSQL only through the proxy; assertions read the database directly.
    t = await startTestApp({ db, env: { MAILGATE_ROLE: 'api', DATABASE_URL: proxy.url } });
    key = await createKey(t, newTenantId());
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
    await db.drop();
  });

  it('answers 202 for every row that the lost commit stored, and stores each exactly once', async () => {
    // Inserts block: 4 single-row statements take the slots, 16 accepts wait; as they are
    // released, the group of 16 commits on the server and the gateway only sees its connection drop.
    const answers = await acceptWhileInsertsHeld(
      { baseUrl: t.baseUrl, databaseUrl: db.url },
      16,
      () =>
        Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            http<{ data?: { id: string } }>(t.baseUrl, 'POST', '/v1/emails', {
              body: anEmail({ subject: `lost commit ${i}` }),
              token: key.token,
            }).then((res) => ({ status: res.status, id: res.body.data?.id })),
          ),
        ),
      // The group's statement answers with the ids it stored: its command tag is SELECT 16.
      () => proxy.cutAfter(/^SELECT 16$/),
    );
    expect(proxy.fired).toBe(true);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    const rows = await query<{ id: string; subject: string }>(
      db.url,
      `SELECT id, payload->>'subject' AS subject FROM email_messages`,
    );
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(answers.map((a) => a.id)));
    expect(new Set(rows.map((r) => r.subject)).size).toBe(20);
  });
});
