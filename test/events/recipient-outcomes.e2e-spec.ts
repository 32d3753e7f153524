import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';

interface Recipient {
  email: string;
  state: string;
  bounceType?: string;
  code?: string;
  reason?: string;
}

interface EmailData {
  id: string;
  status: string;
  recipients: Recipient[];
  attempts: Array<{ outcome: string }>;
}

interface EventData {
  id: string;
  type: string;
  recipient: string | null;
  source: string;
  data: Record<string, unknown> | null;
}

describe('per-recipient outcomes, timeline and suppression list (real SMTP server)', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await startSmtpTestServer({
      tls: 'none',
      auth: { user: 'mailer@example.test', pass: 'provider-pass' },
    });
    t = await startTestApp({
      env: { DISPATCH_RETRY_BASE_MS: '50', DISPATCH_MAX_ATTEMPTS: '3' },
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  beforeEach(() => smtp.reset());

  async function tenant(): Promise<TestKey> {
    const key = await createKey(t, newTenantId());
    await configureSmtp(t, key.token, {
      port: smtp.port,
      user: 'mailer@example.test',
      pass: 'provider-pass',
    });
    return key;
  }

  async function accept(key: TestKey, body: Record<string, unknown>): Promise<string> {
    const res = await http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body });
    expect(res.status).toBe(202);
    return res.body.data.id as string;
  }

  async function final(key: TestKey, id: string): Promise<EmailData> {
    return waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        const data = res.body.data as EmailData;
        return data.status === 'queued' || data.status === 'sending' ? undefined : data;
      },
      { timeoutMs: 15_000, what: `email ${id} to be final` },
    );
  }

  async function events(key: TestKey, id: string, q = ''): Promise<EventData[]> {
    const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}/events${q}`, { token: key.token });
    expect(res.status).toBe(200);
    return res.body.data.items as EventData[];
  }

  it('one refused RCPT: the other is sent, the refused one bounced and suppressed; the next send makes no connection; after DELETE it is sent again', async () => {
    const key = await tenant();
    smtp.reply('RCPT', {
      code: 550,
      message: '5.1.1 No such user',
      recipient: 'ghost@example.test',
    });
    // The server refuses ghost@example.test; the request spells its domain in capitals.
    const first = await accept(key, anEmail({ to: ['good@example.test', 'ghost@EXAMPLE.test'] }));
    const data = await final(key, first);
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0].rcptTo).toEqual(['good@example.test']);
    expect(data.status).toBe('bounced');
    expect(data.recipients).toEqual([
      expect.objectContaining({ email: 'good@example.test', state: 'sent' }),
      expect.objectContaining({
        email: 'ghost@EXAMPLE.test',
        state: 'bounced',
        bounceType: 'hard',
        code: '550',
        reason: '550 5.1.1 No such user',
      }),
    ]);
    const timeline = await events(key, first);
    expect(timeline.map((e) => [e.type, e.recipient])).toEqual([
      ['accepted', null],
      ['sent', null],
      ['bounced', 'ghost@EXAMPLE.test'],
    ]);
    expect(timeline[2].data).toMatchObject({ bounceType: 'hard', smtpCode: 550 });

    // Suppressed, found however the domain is written.
    const listed = await http(t.baseUrl, 'GET', '/v1/suppressions?email=ghost@EXAMPLE.TEST', {
      token: key.token,
    });
    expect(listed.body.data.items).toEqual([
      expect.objectContaining({
        email: 'ghost@example.test',
        reason: 'hard_bounce',
        source: 'smtp',
        sourceMessageId: first,
      }),
    ]);

    // The next message to it: no connection at all, ends suppressed, the accept still 202.
    const connections = smtp.connections;
    const second = await accept(key, anEmail({ to: 'ghost@Example.Test' }));
    const suppressed = await final(key, second);
    expect(suppressed).toMatchObject({
      status: 'suppressed',
      attempts: [],
      recipients: [{ email: 'ghost@Example.Test', state: 'suppressed' }],
    });
    expect(smtp.connections).toBe(connections);
    expect((await events(key, second)).map((e) => e.type)).toEqual(['accepted', 'suppressed']);

    const metrics = await fetch(`${t.baseUrl}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^mailgate_email_events_total\{type="bounced"\} [1-9]/m);
    expect(metrics).toMatch(/^mailgate_email_events_total\{type="accepted"\} [1-9]/m);
    expect(metrics).toMatch(/^mailgate_suppressed_recipients_total [1-9]/m);

    const byStatus = await http(t.baseUrl, 'GET', '/v1/emails?status=suppressed', {
      token: key.token,
    });
    expect(byStatus.body.data.items.map((e: { id: string }) => e.id)).toEqual([second]);

    // Removed: sent again.
    const removed = await http(t.baseUrl, 'DELETE', '/v1/suppressions/ghost%40example.test', {
      token: key.token,
    });
    expect(removed.status).toBe(200);
    const third = await accept(key, anEmail({ to: 'ghost@example.test' }));
    expect((await final(key, third)).status).toBe('sent');
    expect(smtp.messages.at(-1)?.rcptTo).toEqual(['ghost@example.test']);
  });

  it('a suppressed recipient among others is left out of the envelope only', async () => {
    const key = await tenant();
    const added = await http(t.baseUrl, 'POST', '/v1/suppressions', {
      token: key.token,
      body: { email: 'gone@Example.test' },
    });
    expect(added.status).toBe(201);
    expect(added.body.data).toMatchObject({ email: 'gone@example.test', reason: 'manual' });
    const again = await http(t.baseUrl, 'POST', '/v1/suppressions', {
      token: key.token,
      body: { email: 'gone@example.test' },
    });
    expect(again.status).toBe(200);

    const id = await accept(key, anEmail({ to: ['gone@example.test', 'here@example.test'] }));
    const data = await final(key, id);
    expect(data.status).toBe('sent');
    expect(smtp.messages[0].rcptTo).toEqual(['here@example.test']);
    expect(data.recipients.map((r) => [r.email, r.state])).toEqual([
      ['gone@example.test', 'suppressed'],
      ['here@example.test', 'sent'],
    ]);
  });

  it('a 4xx for one recipient retries that recipient alone, with the same Message-ID', async () => {
    const key = await tenant();
    smtp.reply('RCPT', {
      code: 450,
      message: '4.2.1 Mailbox busy',
      recipient: 'busy@example.test',
    });
    const id = await accept(key, anEmail({ to: ['busy@example.test', 'fine@example.test'] }));
    const data = await final(key, id);
    expect(data.status).toBe('sent');
    expect(smtp.messages.map((m) => m.rcptTo)).toEqual([
      ['fine@example.test'],
      ['busy@example.test'],
    ]);
    expect(smtp.messages[0].parsed.messageId).toBe(smtp.messages[1].parsed.messageId);
    expect(data.attempts.map((a) => a.outcome)).toEqual(['sent', 'sent']);
    const timeline = await events(key, id);
    expect(timeline.map((e) => [e.type, e.recipient])).toEqual([
      ['accepted', null],
      ['sent', null],
      ['deferred', 'busy@example.test'],
      ['sent', null],
    ]);
    const list = await http(t.baseUrl, 'GET', '/v1/suppressions', { token: key.token });
    expect(list.body.data.items).toEqual([]);
  });

  it('a 5xx after DATA bounces every recipient and suppresses none', async () => {
    const key = await tenant();
    smtp.reply('DATA', { code: 554, message: '5.7.1 Content refused' });
    const id = await accept(key, anEmail({ to: ['a@example.test', 'b@example.test'] }));
    const data = await final(key, id);
    expect(data.status).toBe('bounced');
    expect(data.recipients.map((r) => [r.state, r.bounceType])).toEqual([
      ['bounced', 'hard'],
      ['bounced', 'hard'],
    ]);
    const list = await http(t.baseUrl, 'GET', '/v1/suppressions', { token: key.token });
    expect(list.body.data.items).toEqual([]);
  });

  it('pages the timeline with a cursor and refuses bad queries, unknown and foreign messages', async () => {
    const key = await tenant();
    smtp.reply('DATA', { code: 451, message: '4.7.1 Later', times: 1 });
    const id = await accept(key, anEmail());
    await final(key, id);
    const all = await events(key, id);
    expect(all.map((e) => e.type)).toEqual(['accepted', 'deferred', 'sent']);
    expect(all[1].data).toMatchObject({ errorClass: 'rate_limited', status: 451 });
    const first = await http(t.baseUrl, 'GET', `/v1/emails/${id}/events?limit=2`, {
      token: key.token,
    });
    expect(first.body.data.items).toHaveLength(2);
    const rest = await events(key, id, `?limit=2&cursor=${first.body.data.nextCursor as string}`);
    expect([...first.body.data.items, ...rest].map((e: EventData) => e.id)).toEqual(
      all.map((e) => e.id),
    );
    const bad = await http(t.baseUrl, 'GET', `/v1/emails/${id}/events?limit=0&cursor=x&z=1`, {
      token: key.token,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.data.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'cursor',
      'limit',
      'z',
    ]);
    const other = await tenant();
    const foreign = await http(t.baseUrl, 'GET', `/v1/emails/${id}/events`, { token: other.token });
    expect(foreign.status).toBe(404);
    const status = await http(t.baseUrl, 'GET', '/v1/emails?status=delivered', {
      token: key.token,
    });
    expect(status.status).toBe(200);
  });

  it('suppressions API: validation, scopes, pagination, 404 on remove', async () => {
    const key = await tenant();
    const bad = await http(t.baseUrl, 'POST', '/v1/suppressions', {
      token: key.token,
      body: { email: 'not an address', reason: 'whim', extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.data.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'email',
      'extra',
      'reason',
    ]);
    const idn = await http(t.baseUrl, 'POST', '/v1/suppressions', {
      token: key.token,
      body: { email: 'Hans@Bücher.example', reason: 'complaint' },
    });
    expect(idn.body.data.email).toBe('Hans@xn--bcher-kva.example');
    for (const n of [1, 2, 3]) {
      await http(t.baseUrl, 'POST', '/v1/suppressions', {
        token: key.token,
        body: { email: `p${n}@example.test` },
      });
    }
    const page1 = await http(t.baseUrl, 'GET', '/v1/suppressions?limit=2', { token: key.token });
    const page2 = await http(
      t.baseUrl,
      'GET',
      `/v1/suppressions?limit=2&cursor=${page1.body.data.nextCursor as string}`,
      { token: key.token },
    );
    expect(
      [...page1.body.data.items, ...page2.body.data.items].map((s: { email: string }) => s.email),
    ).toEqual([
      'Hans@xn--bcher-kva.example',
      'p1@example.test',
      'p2@example.test',
      'p3@example.test',
    ]);
    const readOnly = await createKey(t, newTenantId(), ['email:read']);
    const denied = await http(t.baseUrl, 'POST', '/v1/suppressions', {
      token: readOnly.token,
      body: { email: 'x@example.test' },
    });
    expect(denied.status).toBe(403);
    const missing = await http(t.baseUrl, 'DELETE', '/v1/suppressions/nobody%40example.test', {
      token: key.token,
    });
    expect(missing.status).toBe(404);
    const removedIdn = await http(
      t.baseUrl,
      'DELETE',
      '/v1/suppressions/Hans%40B%C3%BCcher.example',
      {
        token: key.token,
      },
    );
    expect(removedIdn.status).toBe(200);
  });
});
