import { Database } from '../../src/config/database';
import { EmailTemplatesRepository } from '../../src/templates/email-templates.repository';
import { createKey, newTenantId, configureSmtp, type TestKey } from '../factories/emails';
import {
  startSmtpTestServer,
  type ReceivedSmtpMessage,
  type SmtpTestServer,
} from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

const SMTP_USER = 'mailer@example.test';

/** A customised LOGIN_VERIFY_CODE, as the console or the SDK saves it. */
const CUSTOM = {
  type: 'LOGIN_VERIFY_CODE',
  customizeEnabled: true,
  name: 'Sign-in code',
  subject: 'Acme sign-in code for {{email}}',
  sender: 'Acme Sign-in',
  content: '<p>Your Acme code is <b class="code">{{code}}</b>, valid {{expiresIn}} minutes.</p>',
  expiresIn: 10,
};

type Any = any;

/** Send by template: rendered at accept time and delivered to a real SMTP server on loopback. */
describe('send by template', () => {
  let t: TestApp;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await startSmtpTestServer({ tls: 'none', auth: { user: SMTP_USER, pass: 'smtp-pass' } });
    t = await startTestApp({ env: { DISPATCH_RETRY_BASE_MS: '100' } });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });
  beforeEach(() => {
    smtp.reset();
  });

  async function tenant(template?: Record<string, unknown>): Promise<TestKey> {
    const key = await createKey(t, newTenantId());
    await configureSmtp(t, key.token, { port: smtp.port, user: SMTP_USER, pass: 'smtp-pass' });
    if (template !== undefined) {
      const saved = await http(t.baseUrl, 'POST', '/api/v3/update-email-template', {
        token: key.token,
        body: template,
      });
      expect(saved.body.statusCode).toBe(200);
    }
    return key;
  }

  /** The message that arrived for `rcpt` (each test sends to its own addresses). */
  function arrival(rcpt: string): Promise<ReceivedSmtpMessage> {
    return waitFor(() => smtp.messages.find((m) => m.rcptTo.includes(rcpt)), {
      timeoutMs: 15_000,
      what: `a message to ${rcpt}`,
    });
  }

  function send(key: TestKey, body: unknown): Promise<{ status: number; body: Any }> {
    return http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body });
  }

  /** Sends a LOGIN_VERIFY_CODE by template (`locale` when given) and expects it accepted. */
  async function sendCode(key: TestKey, to: string, code: string, locale?: string): Promise<void> {
    const template = { type: 'LOGIN_VERIFY_CODE', data: { code }, ...(locale && { locale }) };
    expect((await send(key, { to, template })).status).toBe(202);
  }

  async function sent(key: TestKey, id: string): Promise<Any> {
    return waitFor(
      async () => {
        const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        return res.body.data.status === 'sent' ? res.body.data : undefined;
      },
      { timeoutMs: 15_000, what: `email ${id} sent` },
    );
  }

  it('delivers the customised template: subject, body, sender display name, text part, escaped code', async () => {
    const key = await tenant(CUSTOM);
    const res = await send(key, {
      to: 'first@example.test',
      template: { type: 'LOGIN_VERIFY_CODE', data: { code: '493817' } },
    });
    expect(res.status).toBe(202);
    const received = await arrival('first@example.test');
    const mail = received.parsed;
    expect(mail.subject).toBe('Acme sign-in code for first@example.test');
    expect(mail.from?.value).toEqual([{ name: 'Acme Sign-in', address: SMTP_USER }]);
    expect(mail.html).toBe(
      '<p>Your Acme code is <b class="code">493817</b>, valid 10 minutes.</p>',
    );
    expect(mail.text?.trim()).toBe('Your Acme code is 493817, valid 10 minutes.');
    // A verification code is sensitive by default: the API shows metadata only.
    const data = await sent(key, res.body.data.id as string);
    expect(data).toMatchObject({ sensitive: true, subject: null });
  });

  it('stores what it sends: the API shows the rendered subject that arrived', async () => {
    const key = await tenant(CUSTOM);
    const res = await send(key, {
      to: 'stored@example.test',
      from: { name: 'Explicit', email: 'explicit@example.test' },
      sensitive: false,
      template: { type: 'LOGIN_VERIFY_CODE', data: { code: '<i>1&2</i>' } },
    });
    expect(res.status).toBe(202);
    const received = await arrival('stored@example.test');
    const data = await sent(key, res.body.data.id as string);
    expect(data.subject).toBe(received.parsed.subject);
    expect(data.sensitive).toBe(false);
    // `from` given: the template's sender does not replace it.
    expect(received.parsed.from?.value).toEqual([
      { name: 'Explicit', address: 'explicit@example.test' },
    ]);
    expect(received.parsed.html).toContain('<b class="code">&lt;i&gt;1&amp;2&lt;/i&gt;</b>');
  });

  it('sends the default when customizeEnabled is false, in English with locale "en"', async () => {
    const key = await tenant({ ...CUSTOM, customizeEnabled: false });
    await sendCode(key, 'zh@example.test', '493817');
    const zh = await arrival('zh@example.test');
    expect(zh.parsed.subject).toBe('【mailgate】登录验证码');
    expect(zh.parsed.from?.value).toEqual([{ name: 'mailgate', address: SMTP_USER }]);
    expect(zh.parsed.html).toContain('<html lang="zh-CN">');
    expect(zh.parsed.html).toContain('493817');
    // The tenant's expiresIn still applies to the default.
    expect(zh.parsed.text).toContain('验证码 10 分钟内有效');

    await sendCode(key, 'en@example.test', '493817', 'en');
    const en = await arrival('en@example.test');
    expect(en.parsed.subject).toBe('mailgate: your sign-in code');
    expect(en.parsed.html).toContain('<html lang="en">');
    expect(en.parsed.text).toContain('493817');
    expect(en.parsed.text).toContain('The code expires in 10 minutes.');
  });

  it('a burst from three tenants: each send renders its own tenant template, read together in one statement', async () => {
    const acme = await tenant(CUSTOM);
    const globex = await tenant({ ...CUSTOM, subject: 'Globex code for {{email}}' });
    const plain = await tenant();
    const keys = [acme, globex, plain];
    const db = t.app.get(Database);
    const repo = t.app.get(EmailTemplatesRepository);
    const finds = jest.spyOn(repo, 'find');
    const reads: unknown[][] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const query = db.query.bind(db);
    // The first template read is held until all 30 sends wait for theirs, so the grouping is
    // certain rather than a race: the other 29 must share the second read.
    const spy = jest
      .spyOn(db, 'query')
      .mockImplementation(async (text: string, params?: unknown[]): Promise<never[]> => {
        if (text.includes('JOIN email_templates')) {
          reads.push(params ?? []);
          if (reads.length === 1) {
            await firstHeld;
          }
        }
        return query(text, params);
      });
    try {
      const sending = Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          sendCode(keys[i % 3], `burst${i}@example.test`, String(100_000 + i)),
        ),
      );
      await waitFor(() => (finds.mock.calls.length >= 30 ? true : undefined), {
        timeoutMs: 15_000,
        what: '30 template lookups',
      });
      releaseFirst();
      await sending;
    } finally {
      releaseFirst();
      spy.mockRestore();
      finds.mockRestore();
    }
    expect(reads).toHaveLength(2);
    // The second read asked for each (tenant, type) once: three keys for 29 lookups.
    const tenants = reads[1][0] as string[];
    expect(tenants).toHaveLength(3);
    expect(new Set(tenants).size).toBe(3);
    for (let i = 0; i < 30; i += 1) {
      const to = `burst${i}@example.test`;
      const mail = (await arrival(to)).parsed;
      expect(mail.subject).toBe(
        [`Acme sign-in code for ${to}`, `Globex code for ${to}`, '【mailgate】登录验证码'][i % 3],
      );
      expect(mail.html).toContain(String(100_000 + i));
    }
  });

  it('renders the template saved just before the send, not the one an earlier read returned', async () => {
    const key = await tenant(CUSTOM);
    await sendCode(key, 'before-save@example.test', '111111');
    const saved = await http(t.baseUrl, 'POST', '/api/v3/update-email-template', {
      token: key.token,
      body: { ...CUSTOM, subject: 'Acme new code for {{email}}' },
    });
    expect(saved.body.statusCode).toBe(200);
    await sendCode(key, 'after-save@example.test', '222222');
    expect((await arrival('before-save@example.test')).parsed.subject).toBe(
      'Acme sign-in code for before-save@example.test',
    );
    expect((await arrival('after-save@example.test')).parsed.subject).toBe(
      'Acme new code for after-save@example.test',
    );
  });

  it('answers 400 naming template.data.<name>, both template and subject, and bad types', async () => {
    const key = await tenant(CUSTOM);
    const missing = await send(key, {
      to: 'ada@example.test',
      template: { type: 'LOGIN_VERIFY_CODE' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.data.errors).toEqual([
      { field: 'template.data.code', messages: ['is required by the template'] },
    ]);
    const both = await send(key, {
      to: 'ada@example.test',
      subject: 'Hi',
      html: '<p>x</p>',
      template: { type: 'NOPE', locale: 'fr', data: { code: '1' } },
    });
    expect(both.status).toBe(400);
    expect(both.body.data.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'html',
      'subject',
      'template.locale',
      'template.type',
    ]);
    const batch = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: {
        messages: [
          { to: 'a@example.test', template: { type: 'LOGIN_VERIFY_CODE', data: { code: '1' } } },
          { to: 'b@example.test', template: { type: 'LOGIN_VERIFY_CODE', data: {} } },
          { to: 'c@example.test', subject: 'plain', text: 'plain' },
        ],
      },
    });
    expect(batch.status).toBe(202);
    expect(batch.body.data.results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 0, status: 'queued' }),
        {
          index: 1,
          errors: [
            { field: 'messages.1.template.data.code', messages: ['is required by the template'] },
          ],
        },
        expect.objectContaining({ index: 2, status: 'queued' }),
      ]),
    );
    expect((await arrival('a@example.test')).parsed.subject).toBe(
      'Acme sign-in code for a@example.test',
    );
    expect((await arrival('c@example.test')).parsed.subject).toBe('plain');
  });

  describe('injection', () => {
    it('prints {{ and <script> in data as escaped text, never evaluated', async () => {
      const key = await tenant(CUSTOM);
      const res = await send(key, {
        to: 'script@example.test',
        template: {
          type: 'LOGIN_VERIFY_CODE',
          data: { code: '{{email}}<script>alert(1)</script>{{#if code}}x{{/if}}' },
        },
      });
      expect(res.status).toBe(202);
      const received = await arrival('script@example.test');
      expect(received.parsed.html).toContain(
        '<b class="code">{{email}}&lt;script&gt;alert(1)&lt;/script&gt;{{#if code}}x{{/if}}</b>',
      );
      expect(received.parsed.html).not.toContain('<script>');
      expect(received.parsed.text).toContain('{{email}}<script>alert(1)</script>');
    });

    it('refuses prototype keys by name, or drops __proto__ before anything sees it', async () => {
      const key = await tenant(CUSTOM);
      for (const name of ['constructor', 'prototype', 'toString']) {
        const res = await send(key, {
          to: 'ada@example.test',
          template: { type: 'LOGIN_VERIFY_CODE', data: { code: '1', [name]: { polluted: 'yes' } } },
        });
        expect(res.status).toBe(400);
        expect(res.body.data.errors[0].field).toBe(`template.data.${name}`);
      }
      const raw = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: key.token,
        headers: { 'content-type': 'application/json' },
        rawBody:
          '{"to":"proto@example.test","template":{"type":"LOGIN_VERIFY_CODE","data":{"code":"7","__proto__":{"code":"polluted"}}}}',
      });
      // The JSON parser removes __proto__ (onProtoPoisoning: 'remove'): the template sees code 7.
      expect(raw.status).toBe(202);
      expect(({} as Record<string, unknown>).code).toBeUndefined();
      const received = await arrival('proto@example.test');
      expect(received.parsed.html).toContain('<b class="code">7</b>');
    });

    it('refuses CR/LF in a variable the subject or sender prints: no header break', async () => {
      const key = await tenant({ ...CUSTOM, sender: '{{appName}} team' });
      const res = await send(key, {
        to: 'ada@example.test',
        template: {
          type: 'LOGIN_VERIFY_CODE',
          data: {
            code: 'line1\r\nline2',
            email: 'x@example.test\r\nBcc: victim@example.test',
            appName: 'Acme\nX-Injected: 1',
          },
        },
      });
      expect(res.status).toBe(400);
      expect(res.body.data.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'template.data.appName',
        'template.data.email',
      ]);
      // In the body a line break is just text.
      const ok = await send(key, {
        to: 'crlf@example.test',
        template: {
          type: 'LOGIN_VERIFY_CODE',
          data: { code: 'line1\r\nBcc: victim@example.test' },
        },
      });
      expect(ok.status).toBe(202);
      const received = await arrival('crlf@example.test');
      expect(received.rcptTo).toEqual(['crlf@example.test']);
      expect(received.parsed.headers.has('x-injected')).toBe(false);
      expect(received.parsed.subject).toBe('Acme sign-in code for crlf@example.test');
    });
  });
});
