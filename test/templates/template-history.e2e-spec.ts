import { createHash } from 'node:crypto';
import { createKey, newTenantId } from '../factories/emails';
import { http, startTestApp, type TestApp } from '../support/test-app';

const SECRET_CONTENT = '<p>Your code is {{code}}. internal-note-7f3a</p>';

interface Entry {
  id: string;
  type: string;
  version: number;
  action: string;
  actorKeyId: string | null;
  changes: Record<string, unknown>;
  createdAt: string;
}

/** GET /api/v3/email-template-history: the template audit trail, read like the provider's. */
describe('email template history (issue 21)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  function save(token: string, body: Record<string, unknown>) {
    return http(t.baseUrl, 'POST', '/api/v3/update-email-template', {
      token,
      body: {
        customizeEnabled: true,
        name: 'Code',
        subject: 'Your code',
        sender: 'Acme',
        content: SECRET_CONTENT,
        ...body,
      },
    });
  }

  function history(token: string, query = '') {
    return http<{ statusCode: number; data: { list: Entry[]; nextCursor: string | null } }>(
      t.baseUrl,
      'GET',
      `/api/v3/email-template-history${query}`,
      { token },
    );
  }

  it('lists saves newest first, per type, paged by cursor, content only as size and digest', async () => {
    const tenant = newTenantId();
    const key = await createKey(t, tenant, ['provider:read', 'provider:write']);
    for (const body of [
      { type: 'LOGIN_VERIFY_CODE' },
      { type: 'LOGIN_VERIFY_CODE', subject: 'Your sign-in code' },
      { type: 'MFA_VERIFY_CODE' },
      { type: 'LOGIN_VERIFY_CODE', subject: 'Your sign-in code', customizeEnabled: false },
    ]) {
      const res = await save(key.token, body);
      expect(res.body.statusCode).toBe(200);
    }
    // Saving the same thing again changes nothing and audits nothing.
    await save(key.token, {
      type: 'LOGIN_VERIFY_CODE',
      subject: 'Your sign-in code',
      customizeEnabled: false,
    });

    const all = await history(key.token);
    expect(all.status).toBe(200);
    expect(all.body.statusCode).toBe(200);
    expect(all.body.data.list.map((e) => [e.type, e.version, e.action])).toEqual([
      ['LOGIN_VERIFY_CODE', 3, 'update'],
      ['MFA_VERIFY_CODE', 1, 'create'],
      ['LOGIN_VERIFY_CODE', 2, 'update'],
      ['LOGIN_VERIFY_CODE', 1, 'create'],
    ]);
    expect(all.body.data.nextCursor).toBeNull();
    const [disabled, , renamed, created] = all.body.data.list;
    expect(disabled.changes).toEqual({ customizeEnabled: { old: true, new: false } });
    expect(renamed.changes).toEqual({ subject: { old: 'Your code', new: 'Your sign-in code' } });
    expect(created).toMatchObject({
      actorKeyId: key.id,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      changes: {
        customizeEnabled: { old: null, new: true },
        content: {
          old: null,
          new: {
            bytes: Buffer.byteLength(SECRET_CONTENT),
            sha256: createHash('sha256').update(SECRET_CONTENT).digest('hex'),
          },
        },
      },
    });
    // The template text and the key's secret never appear in the trail.
    expect(all.text).not.toContain('internal-note-7f3a');
    expect(all.text).not.toContain(key.secret);

    const login = await history(key.token, '?type=LOGIN_VERIFY_CODE&limit=2');
    expect(login.body.data.list.map((e) => e.version)).toEqual([3, 2]);
    expect(login.body.data.nextCursor).toEqual(expect.stringMatching(/^\d+$/));
    const older = await history(
      key.token,
      `?type=LOGIN_VERIFY_CODE&limit=2&cursor=${login.body.data.nextCursor}`,
    );
    expect(older.body.data.list.map((e) => e.version)).toEqual([1]);
    expect(older.body.data.nextCursor).toBeNull();

    // Another tenant sees none of it.
    const other = await createKey(t, newTenantId(), ['provider:read']);
    const theirs = await history(other.token);
    expect(theirs.body.data).toEqual({ list: [], nextCursor: null });
  });

  it('answers 400 naming every bad query field, 403 without provider:read', async () => {
    const key = await createKey(t, newTenantId(), ['provider:read']);
    const bad = await history(key.token, '?type=NOPE&limit=0&cursor=abc');
    expect(bad.status).toBe(200);
    expect(bad.body.statusCode).toBe(400);
    const errors = (bad.body.data as unknown as { errors: Array<{ field: string }> }).errors;
    expect(errors.map((e) => e.field).sort()).toEqual(['cursor', 'limit', 'type']);

    const sender = await createKey(t, newTenantId(), ['email:send', 'provider:write']);
    const denied = await history(sender.token);
    expect(denied.body.statusCode).toBe(403);
  });
});
