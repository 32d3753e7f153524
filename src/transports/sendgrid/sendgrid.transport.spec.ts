import { createServer, type AddressInfo } from 'node:net';
import {
  SENDGRID_MAIL_SEND_PATH,
  SENDGRID_SCOPES_PATH,
  startSendGridTestServer,
  validateMailSendBody,
  type SendGridTestServer,
} from '../../../test/support/sendgrid';
import { rejection, thrownBy } from '../../../test/support/thrown';
import type { OutboundEmail } from '../mail-transport.interface';
import { SendGridTransport, type SendGridTransportOptions } from './sendgrid.transport';

const API_KEY = 'SG.mailgate-test.key';
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const PDF = Buffer.from('%PDF-1.4 \u00ff binary', 'latin1');

function message(overrides: Partial<OutboundEmail> = {}): OutboundEmail {
  return {
    messageId: 'sg-0001',
    from: { name: 'Zoë Support', email: 'support@example.com' },
    to: [{ name: '张伟', email: 'zhang@example.net' }],
    cc: [{ email: 'cc@example.net' }],
    bcc: [{ email: 'hidden@example.org' }],
    replyTo: { name: 'Help', email: 'help@example.com' },
    subject: 'Grüße 你好',
    text: 'plain ✓',
    html: '<p>html ✓ <img src="cid:logo"></p>',
    attachments: [
      { filename: 'invoice.pdf', contentType: 'application/pdf', content: PDF },
      { filename: 'logo.png', content: PNG, cid: 'logo' },
    ],
    headers: { 'X-Campaign': 'spring', 'X-Note': 'naïve café' },
    ...overrides,
  };
}

describe('SendGridTransport', () => {
  let server: SendGridTestServer;

  function transport(overrides: Partial<SendGridTransportOptions> = {}): SendGridTransport {
    return new SendGridTransport({
      name: 'provider:sendgrid',
      apiKey: API_KEY,
      baseUrl: server.url,
      defaultFrom: { email: 'sender@example.com' },
      timeoutMs: 5_000,
      ...overrides,
    });
  }

  beforeAll(async () => {
    server = await startSendGridTestServer({ apiKey: API_KEY });
  });

  afterEach(() => {
    server.reset();
  });

  afterAll(async () => {
    await server.close();
  });

  describe('send()', () => {
    it('posts a v3 payload the API accepts, with every field mapped', async () => {
      const result = await transport().send(message());
      const [mail] = await server.waitForMessages(1);
      const { body } = mail;

      expect(mail.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(body.personalizations).toEqual([
        {
          to: [{ email: 'zhang@example.net', name: '张伟' }],
          cc: [{ email: 'cc@example.net' }],
          bcc: [{ email: 'hidden@example.org' }],
        },
      ]);
      expect(body.from).toEqual({ email: 'support@example.com', name: 'Zoë Support' });
      expect(body.reply_to).toEqual({ email: 'help@example.com', name: 'Help' });
      expect(body.subject).toBe('Grüße 你好');
      expect(body.content).toEqual([
        { type: 'text/plain', value: 'plain ✓' },
        { type: 'text/html', value: '<p>html ✓ <img src="cid:logo"></p>' },
      ]);
      expect(body.attachments).toEqual([
        {
          content: PDF.toString('base64'),
          filename: 'invoice.pdf',
          type: 'application/pdf',
          disposition: 'attachment',
        },
        {
          content: PNG.toString('base64'),
          filename: 'logo.png',
          type: 'image/png',
          disposition: 'inline',
          content_id: 'logo',
        },
      ]);
      expect(Buffer.from(body.attachments?.[0].content ?? '', 'base64').equals(PDF)).toBe(true);
      expect(body.headers).toEqual({
        'X-Campaign': 'spring',
        'X-Note': '=?UTF-8?Q?na=C3=AFve_caf=C3=A9?=',
        'Message-ID': '<sg-0001@example.com>',
      });
      expect(body.custom_args).toEqual({ mailgate_id: 'sg-0001' });

      // The mail's own headers belong in the JSON body, not on the HTTP request.
      expect(mail.headers['x-campaign']).toBeUndefined();
      expect(mail.headers['message-id']).toBeUndefined();

      expect(result).toEqual({
        providerMessageId: mail.messageId,
        accepted: ['zhang@example.net', 'cc@example.net', 'hidden@example.org'],
        rejected: [],
      });
    });

    it('keeps the same Message-ID on a retry of the same message', async () => {
      const adapter = transport();
      await adapter.send(message());
      await adapter.send(message({ subject: 'retry' }));
      const mails = await server.waitForMessages(2);
      expect(mails.map((mail) => mail.body.headers?.['Message-ID'])).toEqual([
        '<sg-0001@example.com>',
        '<sg-0001@example.com>',
      ]);
    });

    it('uses the configured sender as From, lists an address once, drops reserved headers', async () => {
      await transport().send(
        message({
          from: undefined,
          cc: [{ email: 'ZHANG@example.net' }],
          bcc: [{ email: 'zhang@example.net' }, { email: 'other@example.org' }],
          headers: { 'Content-Type': 'text/evil', 'Message-ID': '<spoof@x>', 'X-Ok': 'yes' },
        }),
      );
      const [mail] = await server.waitForMessages(1);
      expect(mail.body.from).toEqual({ email: 'sender@example.com' });
      expect(mail.body.personalizations[0]).toEqual({
        to: [{ email: 'zhang@example.net', name: '张伟' }],
        bcc: [{ email: 'other@example.org' }],
      });
      expect(mail.body.headers).toEqual({ 'X-Ok': 'yes', 'Message-ID': '<sg-0001@example.com>' });
    });

    it('sends a message without text or html (attachments only)', async () => {
      await transport().send(message({ text: undefined, html: undefined }));
      const [mail] = await server.waitForMessages(1);
      expect(mail.body.content).toEqual([{ type: 'text/plain', value: ' ' }]);
    });

    it('treats any 2xx as success', async () => {
      server.respond({ status: 200 });
      await expect(transport().send(message())).resolves.toMatchObject({ rejected: [] });
    });

    it('uses a private client per adapter, never the shared singleton', async () => {
      const other = await startSendGridTestServer({ apiKey: 'SG.other-tenant.key' });
      try {
        await Promise.all([
          transport().send(message()),
          transport({ apiKey: 'SG.other-tenant.key', baseUrl: other.url }).send(message()),
        ]);
        expect((await server.waitForMessages(1))[0].headers.authorization).toBe(
          `Bearer ${API_KEY}`,
        );
        expect((await other.waitForMessages(1))[0].headers.authorization).toBe(
          'Bearer SG.other-tenant.key',
        );
      } finally {
        await other.close();
      }
    });
  });

  describe('concurrency', () => {
    it('keeps at most maxConnections requests in flight, over reused keep-alive sockets', async () => {
      const slow = await startSendGridTestServer({ apiKey: API_KEY, answerDelayMs: 50 });
      const sender = transport({ baseUrl: slow.url, maxConnections: 3 });
      try {
        expect(sender.maxConcurrency).toBe(3);
        const send = (i: number): Promise<unknown> =>
          sender.send(message({ messageId: `sg-pool-${i}`, attachments: undefined }));
        await Promise.all(Array.from({ length: 12 }, (_, i) => send(i)));
        await Promise.all(Array.from({ length: 6 }, (_, i) => send(100 + i)));
        expect(slow.messages).toHaveLength(18);
        expect(slow.maxInFlight).toBe(3);
        expect(slow.connections).toBe(3);
      } finally {
        await sender.close();
        await slow.close();
      }
    });

    it('lets a request already sent finish when closed', async () => {
      const slow = await startSendGridTestServer({ apiKey: API_KEY, answerDelayMs: 100 });
      const sender = transport({ baseUrl: slow.url });
      try {
        const sending = sender.send(message({ attachments: undefined }));
        await new Promise((resolve) => setImmediate(resolve));
        await sender.close();
        await expect(sending).resolves.toMatchObject({ rejected: [] });
      } finally {
        await slow.close();
      }
    });
  });

  describe('error classes from real HTTP answers', () => {
    it('400 from the validating server → rejected, naming the fields', async () => {
      const error = await rejection(
        transport().send(message({ to: [{ email: 'not-an-address' }] })),
      );
      expect(error).toMatchObject({ errorClass: 'rejected', status: 400, code: 'HTTP_400' });
      expect(error.message).toContain('personalizations.0.to.0.email');
      expect(error.message).not.toContain('not-an-address');
      // Sent invalid on purpose: the server's refusal is expected here.
      expect(server.takeInvalidBodies()).toHaveLength(1);
    });

    it('401 for a wrong key → auth, without the key', async () => {
      const error = await rejection(transport({ apiKey: 'SG.wrong.key' }).send(message()));
      expect(error).toMatchObject({ errorClass: 'auth', status: 401 });
      expect(JSON.stringify(error)).not.toContain('SG.wrong.key');
    });

    it('403 for a key without mail.send → auth', async () => {
      const limited = await startSendGridTestServer({ apiKey: API_KEY, scopes: ['stats.read'] });
      try {
        const error = await rejection(transport({ baseUrl: limited.url }).send(message()));
        expect(error).toMatchObject({ errorClass: 'auth', status: 403 });
      } finally {
        await limited.close();
      }
    });

    it('413 for a payload over the limit → rejected', async () => {
      const small = await startSendGridTestServer({ apiKey: API_KEY, maxBodyBytes: 1_000 });
      try {
        const big = message({
          attachments: [{ filename: 'big.bin', content: Buffer.alloc(4_000, 7) }],
        });
        const error = await rejection(transport({ baseUrl: small.url }).send(big));
        expect(error).toMatchObject({ errorClass: 'rejected', status: 413 });
      } finally {
        await small.close();
      }
    });

    it('429 with Retry-After seconds → rate_limited with the wait', async () => {
      server.respond({ status: 429, headers: { 'retry-after': '17' } });
      const error = await rejection(transport().send(message()));
      expect(error).toMatchObject({
        errorClass: 'rate_limited',
        status: 429,
        retryAfterMs: 17_000,
      });
    });

    it('429 with X-RateLimit-Reset → rate_limited until the reset', async () => {
      const reset = Math.floor(Date.now() / 1000) + 60;
      server.respond({ status: 429, headers: { 'x-ratelimit-reset': String(reset) } });
      const error = await rejection(transport().send(message()));
      expect(error.errorClass).toBe('rate_limited');
      expect(error.retryAfterMs).toBeGreaterThan(50_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(60_000);
    });

    it.each([500, 503])('%i → transient', async (status) => {
      server.respond({ status });
      const error = await rejection(transport().send(message()));
      expect(error).toMatchObject({ errorClass: 'transient', status });
    });

    it('a wrong API path (bad SENDGRID_API_URL) → config', async () => {
      const error = await rejection(
        transport({ baseUrl: `${server.url}/nested/` }).send(message()),
      );
      expect(error).toMatchObject({ errorClass: 'config', status: 404 });
    });

    it('nothing listening → transient', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as AddressInfo;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const error = await rejection(
        transport({ baseUrl: `http://127.0.0.1:${port}` }).send(message()),
      );
      expect(error).toMatchObject({ errorClass: 'transient', code: 'ECONNREFUSED' });
    });
  });

  describe('verify()', () => {
    it('checks the key with GET /v3/scopes and sends nothing', async () => {
      await expect(transport().verify()).resolves.toBeUndefined();
      expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        `GET ${SENDGRID_SCOPES_PATH}`,
      ]);
      expect(server.messages).toHaveLength(0);
    });

    it('a wrong key → auth', async () => {
      await expect(transport({ apiKey: 'SG.bad.key' }).verify()).rejects.toMatchObject({
        errorClass: 'auth',
        status: 401,
      });
    });

    it('a key without mail.send → auth', async () => {
      const limited = await startSendGridTestServer({ apiKey: API_KEY, scopes: ['stats.read'] });
      try {
        await expect(transport({ baseUrl: limited.url }).verify()).rejects.toMatchObject({
          errorClass: 'auth',
          code: 'SENDGRID_SCOPE',
        });
      } finally {
        await limited.close();
      }
    });

    it('an outage → transient', async () => {
      server.respond({ status: 503, path: SENDGRID_SCOPES_PATH });
      await expect(transport().verify()).rejects.toMatchObject({ errorClass: 'transient' });
    });
  });

  describe('configuration', () => {
    it('trims a key pasted with a trailing newline', async () => {
      await expect(transport({ apiKey: `${API_KEY}\n` }).send(message())).resolves.toBeDefined();
    });

    it.each([
      ['an empty key', { apiKey: '' }],
      ['a key with a line break inside', { apiKey: 'SG.abc\r\nX-Injected: 1' }],
      ['an invalid URL', { baseUrl: 'not a url' }],
    ])('refuses %s with config', (_label, overrides) => {
      expect(thrownBy(() => transport(overrides))).toMatchObject({ errorClass: 'config' });
    });

    it('never prints the key when logged', () => {
      const adapter = transport();
      expect(JSON.stringify(adapter)).not.toContain(API_KEY);
    });
  });
});

describe('SendGrid test server contract', () => {
  let server: SendGridTestServer;

  beforeAll(async () => {
    // This block posts invalid bodies on purpose.
    server = await startSendGridTestServer({ allowInvalidBodies: true });
  });

  afterAll(async () => {
    await server.close();
  });

  async function post(
    body: unknown,
    key = server.apiKey,
  ): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${server.url}${SENDGRID_MAIL_SEND_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
  }

  const valid = {
    personalizations: [{ to: [{ email: 'a@example.com' }] }],
    from: { email: 'b@example.com' },
    subject: 's',
    content: [{ type: 'text/plain', value: 'x' }],
  };

  it('accepts a minimal valid body with 202 and an x-message-id', async () => {
    await expect(post(valid)).resolves.toEqual({ status: 202, json: undefined });
  });

  it('answers 401 for a wrong bearer key', async () => {
    await expect(post(valid, 'SG.nope')).resolves.toMatchObject({ status: 401 });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no personalizations', { personalizations: [] }, 'personalizations'],
    [
      'a personalization without to',
      { personalizations: [{ cc: [{ email: 'c@example.com' }] }] },
      'personalizations.0.to',
    ],
    [
      'a duplicate recipient',
      {
        personalizations: [{ to: [{ email: 'a@example.com' }], bcc: [{ email: 'A@example.com' }] }],
      },
      'personalizations.0.bcc',
    ],
    ['no from', { from: undefined }, 'from'],
    ['an invalid from', { from: { email: 'nope' } }, 'from.email'],
    ['no subject', { subject: undefined }, 'subject'],
    ['no content', { content: undefined }, 'content'],
    [
      'html before text',
      {
        content: [
          { type: 'text/html', value: 'h' },
          { type: 'text/plain', value: 't' },
        ],
      },
      'content',
    ],
    ['empty content value', { content: [{ type: 'text/plain', value: '' }] }, 'content.0.value'],
    [
      'attachment not base64',
      { attachments: [{ content: 'not base64!', filename: 'a.txt' }] },
      'attachments.0.content',
    ],
    [
      'attachment without filename',
      { attachments: [{ content: 'YQ==' }] },
      'attachments.0.filename',
    ],
    [
      'inline attachment without content_id',
      { attachments: [{ content: 'YQ==', filename: 'a.png', disposition: 'inline' }] },
      'attachments.0.content_id',
    ],
    ['a reserved header', { headers: { 'Reply-To': 'x@example.com' } }, 'headers'],
    ['a raw unicode header value', { headers: { 'X-Note': 'café' } }, 'headers.X-Note'],
    ['a non-string custom arg', { custom_args: { n: 1 } }, 'custom_args.n'],
  ])('answers 400 for %s', async (_label, patch, field) => {
    const { status, json } = await post({ ...valid, ...patch });
    expect(status).toBe(400);
    expect(json).toEqual({ errors: expect.arrayContaining([expect.objectContaining({ field })]) });
    expect(validateMailSendBody({ ...valid, ...patch }).map((error) => error.field)).toContain(
      field,
    );
  });

  it('allows a missing subject when every personalization has one', () => {
    expect(
      validateMailSendBody({
        ...valid,
        subject: undefined,
        personalizations: [{ to: [{ email: 'a@example.com' }], subject: 'p' }],
      }),
    ).toEqual([]);
  });
});
