import type { AddressObject } from 'mailparser';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import { configure } from '../factories/provider-config';
import {
  startRecordingProxy,
  startSmtpTestServer,
  type RecordingProxy,
  type SmtpTestServer,
} from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

const PASS = 'relay-pass-0123456789';

function openWire(proxy: RecordingProxy): string {
  return proxy.received().toString('utf8');
}

function mailboxes(value: AddressObject | AddressObject[] | undefined): Array<{
  name: string;
  address: string;
}> {
  return (Array.isArray(value) ? value : value ? [value] : []).flatMap((entry) =>
    entry.value.map((a) => ({ name: a.name, address: a.address ?? '' })),
  );
}

describe('addresses as users write them, and the SMTP login (smtpConfig.sender)', () => {
  let t: TestApp;
  let apikeyRelay: SmtpTestServer;
  let openRelay: SmtpTestServer;
  let openProxy: RecordingProxy;
  let apikeyProxy: RecordingProxy;

  beforeAll(async () => {
    [apikeyRelay, openRelay] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: 'apikey', pass: PASS } }),
      // Advertises AUTH but takes mail without it: only the client decides whether to log in.
      startSmtpTestServer({ tls: 'none', auth: { user: 'x', pass: 'y' }, authOptional: true }),
    ]);
    openProxy = await startRecordingProxy(openRelay.port);
    // smtp-server shows envelope domains in Unicode: the proxy sees what was really sent.
    apikeyProxy = await startRecordingProxy(apikeyRelay.port);
    t = await startTestApp({ env: { DISPATCH_RETRY_BASE_MS: '100' } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([openProxy.close(), apikeyProxy.close()]);
    await Promise.all([apikeyRelay.close(), openRelay.close()]);
  });

  async function tenantWith(smtpConfig: Record<string, unknown>): Promise<TestKey> {
    const key = await createKey(t, newTenantId());
    const res = await configure(t, key.token, { type: 'custom', enabled: true, smtpConfig });
    expect(res.body.statusCode).toBe(200);
    return key;
  }

  const send = (key: TestKey, body: Record<string, unknown>) =>
    http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body });

  const status = async (key: TestKey, id: string): Promise<string> =>
    (await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token })).body.data.status;

  describe('login `apikey` (SendGrid relay style)', () => {
    let key: TestKey;
    beforeAll(async () => {
      key = await tenantWith({
        smtp_host: '127.0.0.1',
        smtp_port: apikeyProxy.port,
        sender: 'apikey',
        senderPass: PASS,
        secure: false,
      });
    });
    beforeEach(() => {
      apikeyRelay.reset();
      apikeyProxy.reset();
    });

    /** The received message with this subject (earlier tests' messages may still arrive). */
    const arrived = (subject: string) =>
      waitFor(() => apikeyRelay.messages.find((m) => m.parsed.subject === subject), {
        what: subject,
      });

    it('logs in as `apikey` and sends with the From of the request', async () => {
      const res = await send(
        key,
        anEmail({ from: 'Acme Billing <billing@acme.example>', subject: 'apikey login' }),
      );
      expect(res.status).toBe(202);
      const received = await arrived('apikey login');
      expect(received.user).toBe('apikey');
      expect(received.mailFrom).toBe('billing@acme.example');
      expect(mailboxes(received.parsed.from)).toEqual([
        { name: 'Acme Billing', address: 'billing@acme.example' },
      ]);
    });

    it('refuses at accept (400 naming from) a message without from: the login is not an address', async () => {
      const res = await send(key, anEmail());
      expect(res.status).toBe(400);
      expect(res.body.data.errors).toEqual([
        { field: 'from', messages: [expect.stringMatching(/SMTP login .* is not an address/)] },
      ]);
      const batch = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
        token: key.token,
        body: { messages: [anEmail({ from: 'a@acme.example' }), anEmail()] },
      });
      expect(batch.body.data).toMatchObject({ accepted: 1, rejected: 1 });
      expect(batch.body.data.results[1]).toEqual({
        index: 1,
        errors: [{ field: 'messages.1.from', messages: [expect.any(String)] }],
      });
    });

    it.each<[string, unknown, string, { name: string; address: string }]>([
      [
        'Name <addr>',
        'Ada Lovelace <ada@example.com>',
        'ada@example.com',
        { name: 'Ada Lovelace', address: 'ada@example.com' },
      ],
      [
        '"Quoted, Name" <addr>',
        '"Lovelace, Ada" <ada@example.com>',
        'ada@example.com',
        { name: 'Lovelace, Ada', address: 'ada@example.com' },
      ],
      [
        '{ name, email }',
        { name: '张伟', email: 'zhang@example.cn' },
        'zhang@example.cn',
        { name: '张伟', address: 'zhang@example.cn' },
      ],
      [
        'an IDN domain in Unicode',
        'ops@例子.中国',
        'ops@xn--fsqu00a.xn--fiqs8s',
        // mailparser shows the header's punycode domain in Unicode again.
        { name: '', address: 'ops@例子.中国' },
      ],
      [
        'a punycode top-level domain',
        'Ops <a@example.xn--fiqs8s>',
        'a@example.xn--fiqs8s',
        { name: 'Ops', address: 'a@example.xn--fiqs8s' },
      ],
    ])('delivers to %s: envelope in ASCII, header as written', async (form, to, rcpt, header) => {
      const res = await send(key, anEmail({ from: 'no-reply@acme.example', to, subject: form }));
      expect(res.status).toBe(202);
      const received = await arrived(form);
      expect(openWire(apikeyProxy)).toContain(`RCPT TO:<${rcpt}>`);
      expect(mailboxes(received.parsed.to)).toEqual([header]);
      // Display names travel RFC 2047-encoded, never as raw UTF-8 in the header.
      const head = received.raw.toString('latin1').split('\r\n\r\n')[0];
      expect(head).toMatch(/^To: /m);
      expect(/[\u0080-\uffff]/.test(head)).toBe(false);
      await waitFor(async () => (await status(key, res.body.data.id)) === 'sent', {
        what: 'sent',
      });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a group', { to: 'team: a@example.com, b@example.com;' }, 'to'],
      ['two addresses where one is expected', { from: 'a@acme.example, b@acme.example' }, 'from'],
      [
        'CR/LF in a name',
        { replyTo: { name: 'x\r\nBcc: e@evil.test', email: 'r@acme.example' } },
        'replyTo.name',
      ],
      ['CR/LF in a string', { cc: ['ok@example.com', 'a@example.com\nBcc: e@evil.test'] }, 'cc.1'],
      ['NUL', { bcc: ['a\u0000@example.com'] }, 'bcc.0'],
      [
        'over 254 octets',
        { to: [`${'a'.repeat(60)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`] },
        'to.0',
      ],
      ['a list item that is not an address', { to: ['ok@example.com', 'a b@example.com'] }, 'to.1'],
    ])('refuses %s, naming the field', async (_name, fields, field) => {
      const res = await send(key, anEmail({ from: 'no-reply@acme.example', ...fields }));
      expect(res.status).toBe(400);
      expect(res.body.data.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });
  });

  it('sends no AUTH command at all without a login (internal relay), From from the request', async () => {
    const key = await tenantWith({
      smtp_host: '127.0.0.1',
      smtp_port: openProxy.port,
      senderPass: 'unused-by-an-open-relay',
      secure: false,
    });
    openProxy.reset();
    const res = await send(key, anEmail({ from: 'app@corp.example' }));
    expect(res.status).toBe(202);
    const [received] = await openRelay.waitForMessages(1);
    expect(received.user).toBeUndefined();
    const wire = openProxy.received().toString('latin1');
    expect(wire).toMatch(/MAIL FROM:<app@corp\.example>/);
    expect(wire).not.toMatch(/^AUTH/m);
  });

  it('uses a login that is an address as the default From', async () => {
    const relay = await startSmtpTestServer({
      tls: 'none',
      auth: { user: 'mailer@corp.example', pass: PASS },
    });
    try {
      const key = await tenantWith({
        smtp_host: '127.0.0.1',
        smtp_port: relay.port,
        sender: 'mailer@corp.example',
        senderPass: PASS,
        secure: false,
      });
      expect((await send(key, anEmail())).status).toBe(202);
      const [received] = await relay.waitForMessages(1);
      expect(received.mailFrom).toBe('mailer@corp.example');
    } finally {
      await relay.close();
    }
  });

  it('checks From against the config in force right after each change, on every replica', async () => {
    // The replica remembers the tenant's From source from its earlier accepts; every change is
    // answered by the other instance, and the very next send must be judged by the new config.
    const replica = await startTestApp({ db: t.db, env: { DISPATCH_RETRY_BASE_MS: '100' } });
    try {
      const key = await createKey(t, newTenantId());
      const relay = (sender: string) => ({
        smtp_host: '127.0.0.1',
        smtp_port: openProxy.port,
        sender,
        senderPass: PASS,
        secure: false,
      });
      const viaReplica = (body: Record<string, unknown>) =>
        http(replica.baseUrl, 'POST', '/v1/emails', { token: key.token, body });
      for (let round = 0; round < 6; round += 1) {
        const loginIsAddress = round % 2 === 0;
        const saved = await configure(t, key.token, {
          type: 'custom',
          enabled: true,
          smtpConfig: relay(loginIsAddress ? `mailer${round}@corp.example` : `login-${round}`),
        });
        expect(saved.body.statusCode).toBe(200);
        const res = await viaReplica(anEmail({ subject: `round ${round}` }));
        expect([round, res.status]).toEqual([round, loginIsAddress ? 202 : 400]);
        // A message with its own From never depends on the login.
        const own = await viaReplica(anEmail({ from: 'app@corp.example' }));
        expect(own.status).toBe(202);
      }
    } finally {
      await replica.close();
    }
  });

  it('refuses UTF-8 local parts at accept for a SendGrid tenant', async () => {
    const key = await createKey(t, newTenantId());
    const saved = await configure(t, key.token, {
      type: 'sendgrid',
      enabled: true,
      sendGridConfig: { sender: 'Acme <noreply@acme.example>', apikey: 'SG.test-key-0123456789' },
    });
    expect(saved.body.statusCode).toBe(200);
    const res = await send(key, anEmail({ to: ['ok@example.com', '用户@例子.中国'] }));
    expect(res.status).toBe(400);
    expect(res.body.data.errors).toEqual([
      { field: 'to.1', messages: [expect.stringMatching(/SendGrid/)] },
    ]);
  });
});
