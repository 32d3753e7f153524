import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { inspect } from 'node:util';
import type { AddressObject } from 'mailparser';
import {
  createTestCertificates,
  startSmtpTestServer,
  type SmtpTestServer,
} from '../../../test/support/smtp';
import { rejection, thrownBy } from '../../../test/support/thrown';
import { freePort } from '../../config/embedded-postgres';
import type { OutboundEmail } from '../mail-transport.interface';
import type { SmtpPlaintextAuth } from '../../config/env';
import { mustRequireTls, SmtpTransport, type SmtpTransportOptions } from './smtp.transport';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);
const PDF = Buffer.from('%PDF-1.4\n% binary \u00ff\u00fe\n', 'latin1');

function message(overrides: Partial<OutboundEmail> = {}): OutboundEmail {
  return {
    messageId: 'msg-0001',
    from: { name: 'Zoë Ünïcode, Support', email: 'support@example.com' },
    to: [{ name: '张伟', email: 'zhang@example.net' }],
    cc: [{ email: 'cc@example.net' }],
    bcc: [{ email: 'hidden@example.org' }],
    replyTo: { name: 'Help Desk', email: 'help@example.com' },
    subject: 'Grüße 你好 — your invoice',
    text: 'Hello in plain text ✓',
    html: '<p>Hello in <b>HTML</b> ✓ <img src="cid:logo@mailgate"></p>',
    attachments: [
      { filename: 'invoice.pdf', contentType: 'application/pdf', content: PDF },
      { filename: 'logo.png', contentType: 'image/png', content: PNG, cid: 'logo@mailgate' },
    ],
    headers: { 'X-Campaign': 'spring-2026', 'X-Note': 'naïve café' },
    ...overrides,
  };
}

/** Both ways a message reaches the pool: composed by send(), or built by prepare() while it waited. */
const PREPARED: Array<[string, boolean]> = [
  ['composed at send', false],
  ['prepared while waiting', true],
];

function sendThrough(
  transport: SmtpTransport,
  outbound: OutboundEmail,
  prepared: boolean,
): ReturnType<SmtpTransport['send']> {
  if (prepared) {
    transport.prepare(outbound);
  }
  return transport.send(outbound);
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  return (Array.isArray(value) ? value : value ? [value] : []).flatMap((entry) =>
    entry.value.map((address) => address.address ?? ''),
  );
}

function headerSection(raw: Buffer): string {
  const text = raw.toString('utf8');
  return text.slice(0, text.indexOf('\r\n\r\n'));
}

/** Runs `use` against a TCP server on 127.0.0.1 that accepts and never says a word. */
async function withSilentServer(use: (port: number) => Promise<void>): Promise<void> {
  const sockets: Socket[] = [];
  const silent: Server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    await use((silent.address() as AddressInfo).port);
  } finally {
    sockets.forEach((socket) => socket.destroy());
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
}

/** Plain SMTP to 127.0.0.1:`port` with the spec's default From; `options` add the timeouts. */
function localTransport(port: number, options: Partial<SmtpTransportOptions>): SmtpTransport {
  return new SmtpTransport({
    name: 'provider:custom',
    host: '127.0.0.1',
    port,
    secure: false,
    defaultFrom: { email: 'mailer@example.test' },
    ...options,
  });
}

describe('mustRequireTls', () => {
  const login = { user: 'u', pass: 'p' };
  it.each<[string, boolean, boolean, SmtpPlaintextAuth | undefined, boolean]>([
    ['smtp.example.com', false, true, undefined, true],
    ['smtp.example.com', false, true, 'loopback', true],
    ['127.0.0.1', false, true, 'loopback', false],
    ['::1', false, true, 'loopback', false],
    ['localhost', false, true, 'loopback', false],
    ['127.0.0.1', false, true, 'never', true],
    ['smtp.example.com', false, true, 'always', false],
    ['smtp.example.com', true, true, 'never', false],
    ['smtp.example.com', false, false, 'never', false],
  ])('%s secure=%s login=%s policy=%s → %s', (host, secure, withLogin, plaintextAuth, expected) => {
    expect(
      mustRequireTls({ host, secure, auth: withLogin ? login : undefined, plaintextAuth }),
    ).toBe(expected);
  });
});

describe('SmtpTransport', () => {
  const transports: SmtpTransport[] = [];
  const servers: SmtpTestServer[] = [];

  function transportFor(server: SmtpTestServer, overrides: Partial<SmtpTransportOptions> = {}) {
    const transport = new SmtpTransport({
      name: 'provider:custom',
      host: server.host,
      port: server.port,
      secure: server.tls === 'implicit',
      auth: server.auth === false ? undefined : server.auth,
      defaultFrom: { email: 'mailer@example.test' },
      tls: { ca: server.ca },
      connectionTimeoutMs: 5_000,
      greetingTimeoutMs: 5_000,
      socketTimeoutMs: 5_000,
      ...overrides,
    });
    transports.push(transport);
    return transport;
  }

  async function server(options: Parameters<typeof startSmtpTestServer>[0] = {}) {
    const started = await startSmtpTestServer(options);
    servers.push(started);
    return started;
  }

  afterEach(async () => {
    await Promise.all(transports.splice(0).map((transport) => transport.close()));
    await Promise.all(servers.splice(0).map((started) => started.close()));
  });

  describe('delivery over STARTTLS with AUTH', () => {
    it.each(PREPARED)(
      'sends standard MIME: UTF-8 subject and names, alternatives, attachments, inline cid, custom headers (%s)',
      async (_how, prepared) => {
        const smtp = await server({ tls: 'starttls' });
        const result = await sendThrough(transportFor(smtp), message(), prepared);

        const [received] = await smtp.waitForMessages(1);
        const { parsed, raw } = received;
        expect(received.secure).toBe(true);
        expect(received.user).toBe('mailer@example.test');

        expect(parsed.subject).toBe('Grüße 你好 — your invoice');
        expect(parsed.from?.value).toEqual([
          { name: 'Zoë Ünïcode, Support', address: 'support@example.com' },
        ]);
        expect(addresses(parsed.to)).toEqual(['zhang@example.net']);
        expect((parsed.to as AddressObject).value[0].name).toBe('张伟');
        expect(addresses(parsed.cc)).toEqual(['cc@example.net']);
        expect(parsed.replyTo?.value).toEqual([{ name: 'Help Desk', address: 'help@example.com' }]);
        // Display names travel RFC 2047-encoded, never as raw UTF-8 in the header.
        expect(headerSection(raw)).toMatch(/^From: =\?UTF-8\?[QB]\?/m);
        expect(headerSection(raw)).toMatch(/^Subject: =\?UTF-8\?[QB]\?/m);

        expect(parsed.text?.trim()).toBe('Hello in plain text ✓');
        expect(parsed.html).toContain('<b>HTML</b> ✓');
        expect(raw.toString()).toMatch(/Content-Type: multipart\/alternative/);

        const pdf = parsed.attachments.find((attachment) => attachment.filename === 'invoice.pdf');
        expect(pdf?.contentType).toBe('application/pdf');
        expect(pdf?.content.equals(PDF)).toBe(true);
        const logo = parsed.attachments.find((attachment) => attachment.filename === 'logo.png');
        expect(logo?.cid).toBe('logo@mailgate');
        expect(logo?.related).toBe(true);
        expect(logo?.contentDisposition).toBe('inline');
        expect(logo?.content.equals(PNG)).toBe(true);
        expect(parsed.html).toContain('cid:logo@mailgate');

        expect(parsed.headers.get('x-campaign')).toBe('spring-2026');
        // Non-ASCII custom header values are RFC 2047 encoded words (mailparser leaves unknown headers encoded).
        expect(parsed.headers.get('x-note')).toBe('=?UTF-8?Q?na=C3=AFve_caf=C3=A9?=');
        expect(parsed.messageId).toBe('<msg-0001@example.com>');

        expect(result).toEqual({
          providerMessageId: received.queueId,
          accepted: ['zhang@example.net', 'cc@example.net', 'hidden@example.org'],
          rejected: [],
          refused: [],
        });
      },
    );

    it.each(PREPARED)(
      'puts bcc in the envelope only, never in the headers (%s)',
      async (_how, prepared) => {
        const smtp = await server();
        await sendThrough(transportFor(smtp), message(), prepared);
        const [received] = await smtp.waitForMessages(1);
        expect(received.mailFrom).toBe('support@example.com');
        expect(received.rcptTo.sort()).toEqual(
          ['cc@example.net', 'hidden@example.org', 'zhang@example.net'].sort(),
        );
        expect(received.parsed.bcc).toBeUndefined();
        expect(received.raw.toString()).not.toContain('hidden@example.org');
      },
    );

    it('renders the same Message-ID on every attempt of one message', async () => {
      const smtp = await server();
      const transport = transportFor(smtp);
      await transport.send(message({ messageId: '7f7c2a1e-retry' }));
      await transport.send(message({ messageId: '7f7c2a1e-retry', subject: 'second attempt' }));
      await transport.send(message({ messageId: 'another-one' }));
      const received = await smtp.waitForMessages(3);
      expect(received.map((entry) => entry.parsed.messageId)).toEqual([
        '<7f7c2a1e-retry@example.com>',
        '<7f7c2a1e-retry@example.com>',
        '<another-one@example.com>',
      ]);
    });

    it('uses the configured sender as From when the message has none', async () => {
      const smtp = await server();
      await transportFor(smtp).send(message({ from: undefined }));
      const [received] = await smtp.waitForMessages(1);
      expect(received.parsed.from?.value).toEqual([{ name: '', address: 'mailer@example.test' }]);
      expect(received.mailFrom).toBe('mailer@example.test');
      expect(received.parsed.messageId).toBe('<msg-0001@example.test>');
    });

    it('refuses a message without any From when the login is not an address', async () => {
      const smtp = await server();
      const transport = transportFor(smtp, { defaultFrom: { email: 'apikey' } });
      const error = await rejection(transport.send(message({ from: undefined })));
      expect(error).toMatchObject({ errorClass: 'config', code: 'NO_FROM' });
      expect(smtp.connections).toBe(0);
    });

    it('reuses pooled connections, at most maxConnections at a time', async () => {
      const smtp = await server();
      const transport = transportFor(smtp, { maxConnections: 2 });
      await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          transport.send(message({ messageId: `pool-${index}` })),
        ),
      );
      await smtp.waitForMessages(6);
      expect(smtp.connections).toBeGreaterThanOrEqual(1);
      expect(smtp.connections).toBeLessThanOrEqual(2);
    });

    it('verify() connects, upgrades and authenticates without sending mail', async () => {
      const smtp = await server();
      await expect(transportFor(smtp).verify()).resolves.toBeUndefined();
      expect(smtp.connections).toBe(1);
      expect(smtp.messages).toHaveLength(0);
    });

    it('reports recipients the server refused while delivering to the others', async () => {
      const smtp = await server();
      smtp.reply('RCPT', { code: 550, message: '5.1.1 No such user', recipient: 'cc@example.net' });
      const result = await transportFor(smtp).send(message());
      expect(result.rejected).toEqual(['cc@example.net']);
      expect(result.accepted.sort()).toEqual(['hidden@example.org', 'zhang@example.net']);
      const [received] = await smtp.waitForMessages(1);
      expect(received.rcptTo).not.toContain('cc@example.net');
    });
  });

  describe('implicit TLS', () => {
    it('delivers over TLS from the first byte', async () => {
      const smtp = await server({ tls: 'implicit' });
      await transportFor(smtp).send(message());
      const [received] = await smtp.waitForMessages(1);
      expect(received.secure).toBe(true);
      expect(received.parsed.subject).toBe('Grüße 你好 — your invoice');
    });
  });

  describe('plaintext relay', () => {
    it('delivers when the server offers no STARTTLS (internal relay)', async () => {
      const smtp = await server({ tls: 'none' });
      await transportFor(smtp).send(message());
      const [received] = await smtp.waitForMessages(1);
      expect(received.secure).toBe(false);
      expect(received.user).toBe('mailer@example.test');
    });

    it('refuses to AUTH without TLS when the policy says never: STARTTLS_REQUIRED (config)', async () => {
      const smtp = await server({ tls: 'none' });
      const transport = transportFor(smtp, { plaintextAuth: 'never' });
      for (const attempt of [() => transport.send(message()), () => transport.verify()]) {
        const error = await rejection(attempt());
        expect(error).toMatchObject({ errorClass: 'config', code: 'STARTTLS_REQUIRED' });
        expect(error.message).toMatch(
          /enable STARTTLS on the server, or use port 465 with secure: true/,
        );
      }
      expect(smtp.messages).toHaveLength(0);
    });

    it('upgrades with STARTTLS before AUTH when the policy says never and the server offers it', async () => {
      const smtp = await server({ tls: 'starttls' });
      await transportFor(smtp, { plaintextAuth: 'never' }).send(message());
      const [received] = await smtp.waitForMessages(1);
      expect(received.secure).toBe(true);
      expect(received.user).toBe('mailer@example.test');
    });

    it('needs no TLS without a login, whatever the policy', async () => {
      const smtp = await server({ tls: 'none', auth: false });
      await transportFor(smtp, { plaintextAuth: 'never' }).send(message());
      await smtp.waitForMessages(1);
    });

    it('delivers to an open relay without AUTH', async () => {
      const smtp = await server({ tls: 'none', auth: false });
      await transportFor(smtp).send(message());
      const [received] = await smtp.waitForMessages(1);
      expect(received.user).toBeUndefined();
    });
  });

  describe('error classes from real server replies', () => {
    it('535 on AUTH → auth, without echoing the reply', async () => {
      const smtp = await server();
      const secret = Buffer.from('\0mailer@example.test\0wrong-password').toString('base64');
      smtp.reply('AUTH', { code: 535, message: `5.7.8 Authentication failed: ${secret}` });
      const error = await rejection(transportFor(smtp).send(message()));
      expect(error).toMatchObject({ errorClass: 'auth', status: 535, code: 'SMTP_535' });
      expect(error.message).toBe('SMTP authentication failed (535 5.7.8 at AUTH PLAIN)');
      expect(JSON.stringify(error)).not.toContain(secret);
      expect(smtp.messages).toHaveLength(0);
    });

    it('a wrong password fails verify() with auth', async () => {
      const smtp = await server();
      const transport = transportFor(smtp, { auth: { user: 'mailer@example.test', pass: 'nope' } });
      const error = await rejection(transport.verify());
      expect(error.errorClass).toBe('auth');
      expect(error.message).not.toContain('nope');
    });

    it('451 on RCPT → rate_limited, and the retry goes through', async () => {
      const smtp = await server();
      smtp.reply('RCPT', { code: 451, message: '4.7.1 Too many messages, slow down', times: 3 });
      const transport = transportFor(smtp);
      const error = await rejection(transport.send(message()));
      expect(error).toMatchObject({ errorClass: 'rate_limited', status: 451 });
      await expect(transport.send(message())).resolves.toMatchObject({ rejected: [] });
      await smtp.waitForMessages(1);
    });

    it('another 4xx on DATA → transient', async () => {
      const smtp = await server();
      smtp.reply('DATA', { code: 442, message: '4.4.2 Connection dropped' });
      const error = await rejection(transportFor(smtp).send(message()));
      expect(error).toMatchObject({ errorClass: 'transient', status: 442 });
    });

    it('550 on every RCPT → nothing sent, each refusal with its reply', async () => {
      const smtp = await server();
      smtp.reply('RCPT', { code: 550, message: '5.1.1 Mailbox unavailable', times: 3 });
      const result = await transportFor(smtp).send(message());
      expect(result.accepted).toEqual([]);
      expect(result.refused).toEqual(
        result.rejected.map((recipient) => ({
          recipient,
          status: 550,
          reply: '550 5.1.1 Mailbox unavailable',
        })),
      );
      expect(result.rejected.length).toBeGreaterThan(0);
      expect(smtp.messages).toHaveLength(0);
    });

    it('550 on one RCPT → the others are sent, the refused one has its reply', async () => {
      const smtp = await server();
      smtp.reply('RCPT', {
        code: 550,
        message: '5.1.1 No such user',
        recipient: 'ghost@example.test',
      });
      const result = await transportFor(smtp).send({
        ...message(),
        to: [{ email: 'ghost@example.test' }, { email: 'real@example.test' }],
        cc: undefined,
        bcc: undefined,
      });
      expect(result).toMatchObject({
        accepted: ['real@example.test'],
        rejected: ['ghost@example.test'],
        refused: [
          { recipient: 'ghost@example.test', status: 550, reply: '550 5.1.1 No such user' },
        ],
      });
      const [received] = await smtp.waitForMessages(1);
      expect(received.rcptTo).toEqual(['real@example.test']);
    });

    it('envelopeTo narrows RCPT TO and keeps the headers', async () => {
      const smtp = await server();
      await transportFor(smtp).send({
        ...message(),
        to: [{ email: 'one@example.test' }, { email: 'two@example.test' }],
        cc: undefined,
        bcc: undefined,
        envelopeTo: ['two@example.test'],
      });
      const [received] = await smtp.waitForMessages(1);
      expect(received.rcptTo).toEqual(['two@example.test']);
      expect(received.parsed.headers.get('to')).toMatchObject({
        value: [{ address: 'one@example.test' }, { address: 'two@example.test' }],
      });
    });

    it('554 after DATA → rejected, a bounce of every recipient', async () => {
      const smtp = await server();
      smtp.reply('DATA', { code: 554, message: '5.7.1 Content refused' });
      const error = await rejection(transportFor(smtp).send(message()));
      expect(error).toMatchObject({ errorClass: 'rejected', status: 554, bounce: true });
    });

    it('554 on DATA → rejected', async () => {
      const smtp = await server();
      smtp.reply('DATA', { code: 554, message: '5.7.1 Message rejected as spam' });
      const error = await rejection(transportFor(smtp).send(message()));
      expect(error).toMatchObject({ errorClass: 'rejected', status: 554 });
      expect(error.message).not.toContain('spam');
    });

    it('nothing listening → transient', async () => {
      const port = await freePort();
      const transport = localTransport(port, { connectionTimeoutMs: 2_000 });
      transports.push(transport);
      const error = await rejection(transport.send(message()));
      expect(error.errorClass).toBe('transient');
      expect(error.message).toContain('ECONNREFUSED');
    });

    it('a server that never greets → transient after the bounded greeting timeout', async () => {
      await withSilentServer(async (port) => {
        const transport = localTransport(port, {
          connectionTimeoutMs: 300,
          greetingTimeoutMs: 300,
          socketTimeoutMs: 300,
        });
        transports.push(transport);
        const started = Date.now();
        const error = await rejection(transport.verify());
        expect(error).toMatchObject({ errorClass: 'transient', code: 'ETIMEDOUT' });
        expect(error.message).toMatch(/_TIMEOUT/);
        expect(Date.now() - started).toBeLessThan(5_000);
      });
    });

    it.each(['implicit', 'starttls'] as const)(
      'a TLS certificate we do not trust (%s) → config',
      async (tls) => {
        const smtp = await server({ tls });
        const error = await rejection(transportFor(smtp, { tls: undefined }).send(message()));
        expect(error).toMatchObject({ errorClass: 'config', code: 'TLS_CERTIFICATE' });
        expect(smtp.messages).toHaveLength(0);
      },
    );

    it('a certificate for another host name → config', async () => {
      const certificates = await createTestCertificates({ hosts: ['mail.example.invalid'] });
      const smtp = await server({ tls: 'implicit', certificates });
      const error = await rejection(transportFor(smtp).verify());
      expect(error).toMatchObject({ errorClass: 'config', code: 'TLS_CERTIFICATE' });
    });
  });

  describe('a connection lost without a reply', () => {
    /** Speaks just enough SMTP, and hangs up at `dropAt`: after RCPT TO, or after the final ".". */
    async function dropping(dropAt: 'rcpt' | 'after-dot') {
      const state = { dots: 0, messageIds: [] as string[] };
      const sockets = new Set<Socket>();
      const srv = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        let buffer = '';
        let inData = false;
        socket.write('220 drop.test ESMTP\r\n');
        socket.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('latin1');
          for (;;) {
            if (inData) {
              const end = buffer.indexOf('\r\n.\r\n');
              if (end < 0) {
                return;
              }
              state.dots += 1;
              state.messageIds.push(/^Message-ID: (.*)$/im.exec(buffer.slice(0, end))?.[1] ?? '');
              buffer = buffer.slice(end + 5);
              inData = false;
              if (dropAt === 'after-dot') {
                socket.destroy();
                return;
              }
              socket.write('250 queued\r\n');
              continue;
            }
            const eol = buffer.indexOf('\r\n');
            if (eol < 0) {
              return;
            }
            const verb = buffer.slice(0, eol).split(' ')[0].toUpperCase();
            buffer = buffer.slice(eol + 2);
            if (verb === 'EHLO') {
              socket.write('250-drop.test\r\n250 8BITMIME\r\n');
            } else if (verb === 'RCPT' && dropAt === 'rcpt') {
              socket.destroy();
              return;
            } else if (verb === 'DATA') {
              inData = true;
              socket.write('354 go ahead\r\n');
            } else if (verb === 'QUIT') {
              socket.end('221 bye\r\n');
            } else {
              socket.write('250 ok\r\n');
            }
          }
        });
      });
      await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
      const transport = localTransport((srv.address() as AddressInfo).port, {
        connectionTimeoutMs: 2_000,
        greetingTimeoutMs: 2_000,
        socketTimeoutMs: 2_000,
      });
      transports.push(transport);
      const close = async (): Promise<void> => {
        sockets.forEach((socket) => socket.destroy());
        await new Promise<void>((resolve) => srv.close(() => resolve()));
      };
      return { state, transport, close };
    }

    it.each(PREPARED)(
      'after the final "." → REPLY_LOST (RFC 1047), retried with the same Message-ID (%s)',
      async (_how, prepared) => {
        const { state, transport, close } = await dropping('after-dot');
        try {
          const first = await rejection(
            sendThrough(transport, message({ messageId: 'lost-1' }), prepared),
          );
          expect(first).toMatchObject({ errorClass: 'transient', code: 'REPLY_LOST' });
          const again = await rejection(transport.send(message({ messageId: 'lost-1' })));
          expect(again.code).toBe('REPLY_LOST');
          expect(state.dots).toBe(2);
          expect(state.messageIds[0]).toMatch(/^<lost-1@/);
          expect(state.messageIds[1]).toBe(state.messageIds[0]);
        } finally {
          await close();
        }
      },
    );

    it('before DATA (at RCPT TO) → a plain connection error: nothing can have been delivered', async () => {
      const { state, transport, close } = await dropping('rcpt');
      try {
        const error = await rejection(transport.send(message({ messageId: 'lost-2' })));
        expect(error.errorClass).toBe('transient');
        expect(error.code).not.toBe('REPLY_LOST');
        expect(state.dots).toBe(0);
      } finally {
        await close();
      }
    });
  });

  describe('lifecycle and hygiene', () => {
    it('refuses to send after close() with a retryable error', async () => {
      const smtp = await server();
      const transport = transportFor(smtp);
      await transport.close();
      const error = await rejection(transport.send(message()));
      expect(error).toMatchObject({ errorClass: 'transient', code: 'TRANSPORT_CLOSED' });
    });

    it('close() lets a started send finish', async () => {
      const smtp = await server();
      const transport = transportFor(smtp);
      const sending = transport.send(message());
      await transport.close();
      await expect(sending).resolves.toMatchObject({ rejected: [] });
      expect(smtp.messages).toHaveLength(1);
    });

    it('close() gives up on a stalled send after closeGraceMs', async () => {
      await withSilentServer(async (port) => {
        const transport = localTransport(port, {
          greetingTimeoutMs: 30_000,
          socketTimeoutMs: 30_000,
          closeGraceMs: 200,
        });
        const sending = transport.send(message());
        const started = Date.now();
        await transport.close();
        expect(Date.now() - started).toBeLessThan(5_000);
        await expect(sending).rejects.toMatchObject({ errorClass: 'transient' });
      });
    });

    it('never prints its credentials when logged', async () => {
      const smtp = await server();
      const transport = transportFor(smtp);
      expect(JSON.stringify(transport)).not.toContain('test-password');
      expect(inspect(transport, { depth: 10 })).not.toContain('test-password');
    });

    it.each([
      ['empty host', { host: '' }],
      ['port out of range', { port: 70_000 }],
    ])('refuses a bad configuration (%s) with config', (_label, overrides) => {
      expect(
        thrownBy(
          () =>
            new SmtpTransport({
              name: 'provider:custom',
              host: 'smtp.example.com',
              port: 587,
              secure: false,
              defaultFrom: { email: 'a@example.com' },
              ...overrides,
            }),
        ),
      ).toMatchObject({ errorClass: 'config' });
    });
  });
});
