import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { bodyLimitFor } from '../../src/app.factory';
import { query } from '../support/database';
import { startSendGridTestServer, type SendGridTestServer } from '../support/sendgrid';
import { SendGridEventSigner } from '../support/sendgrid/event-signer';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import {
  contentType,
  hostileJson,
  hostileString,
  mutationsOf,
  serialize,
} from '../reliability/support/hostile-json';

/** A small message limit keeps the body limit (and the fuzz's oversized bodies) small. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const BODY_LIMIT = bodyLimitFor(MAX_MESSAGE_BYTES);
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);

/**
 * Bodies up to just past the limit (413). Far larger ones are answered 413 while the client is
 * still writing and the connection is closed, which fetch reports as a reset rather than the
 * answer (test/reliability streams such bodies to the send routes and reads the 413 as it comes).
 */
function underLimit(raw: string): boolean {
  return Buffer.byteLength(raw) <= BODY_LIMIT + 2;
}

interface Tenant {
  id: string;
  key: TestKey;
  signer: SendGridEventSigner;
}

describe("SendGrid's signed Event Webhook", () => {
  let t: TestApp;
  let sendgrid: SendGridTestServer;

  beforeAll(async () => {
    sendgrid = await startSendGridTestServer();
    t = await startTestApp({
      env: { SENDGRID_API_URL: sendgrid.url, MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) },
    });
  });
  afterAll(async () => {
    await t.close();
    await sendgrid.close();
  });

  async function tenant(withKey = true): Promise<Tenant> {
    const id = newTenantId();
    const key = await createKey(t, id);
    const signer = new SendGridEventSigner();
    const res = await http(t.baseUrl, 'POST', '/api/v3/config-email-provider', {
      token: key.token,
      body: {
        type: 'sendgrid',
        enabled: true,
        sendGridConfig: {
          sender: 'noreply@example.test',
          apikey: sendgrid.apiKey,
          ...(withKey ? { webhookVerificationKey: signer.verificationKey } : {}),
        },
      },
    });
    expect(res.body.statusCode).toBe(200);
    if (withKey) {
      expect(res.body.data.sendGridConfig.webhookVerificationKey).toBe(signer.verificationKey);
    }
    return { id, key, signer };
  }

  async function sendThroughSendGrid(
    tn: Tenant,
    to: string[],
  ): Promise<{ id: string; sgMessageId: string }> {
    const res = await http(t.baseUrl, 'POST', '/v1/emails', {
      token: tn.key.token,
      body: anEmail({ to }),
    });
    const id = res.body.data.id as string;
    const sent = await waitFor(
      async () => {
        const r = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: tn.key.token });
        return r.body.data.status === 'sent' ? r.body.data : undefined;
      },
      { timeoutMs: 15_000, what: 'sent' },
    );
    const mail = sendgrid.messages.find((m) => m.messageId === sent.providerMessageId);
    expect(mail?.body.custom_args).toEqual({ mailgate_id: id });
    return { id, sgMessageId: `${sent.providerMessageId as string}.filter0001.1.0` };
  }

  function post(tn: Tenant, body: string, headers: Record<string, string>, tenantId = tn.id) {
    return http(t.baseUrl, 'POST', `/v1/provider-events/sendgrid/${tenantId}`, {
      rawBody: body,
      headers,
    });
  }

  function event(fields: Record<string, unknown>): Record<string, unknown> {
    return {
      timestamp: Math.floor(Date.now() / 1000),
      sg_event_id: randomBytes(16).toString('base64url'),
      ...fields,
    };
  }

  /** Everything a provider event can change for a tenant: its events, suppressions, messages. */
  async function footprint(tenantId: string): Promise<unknown> {
    const rows = await query(
      t.db.url,
      `SELECT (SELECT count(*) FROM email_events WHERE tenant_id = $1)::int AS events,
              (SELECT count(*) FROM suppressions WHERE tenant_id = $1)::int AS suppressions,
              (SELECT coalesce(string_agg(status || ' ' || coalesce(recipients::text, ''), ';' ORDER BY id), '')
                 FROM email_messages WHERE tenant_id = $1) AS messages`,
      [tenantId],
    );
    return rows[0];
  }

  async function stored(tenantId: string): Promise<number> {
    const rows = await query(
      t.db.url,
      `SELECT count(*)::int AS n FROM email_events WHERE tenant_id = $1 AND source = 'sendgrid'`,
      [tenantId],
    );
    return rows[0].n as number;
  }

  it('delivered, bounce and spamreport move the timeline, the status and the suppression list', async () => {
    const tn = await tenant();
    const { id, sgMessageId } = await sendThroughSendGrid(tn, [
      'ok@example.test',
      'gone@example.test',
    ]);
    const delivered = event({
      event: 'delivered',
      email: 'ok@example.test',
      mailgate_id: id,
      sg_message_id: sgMessageId,
    });
    // Matched by sg_message_id alone (no custom arg), as a fallback.
    const bounce = event({
      event: 'bounce',
      type: 'bounce',
      email: 'gone@example.test',
      sg_message_id: sgMessageId,
      reason: '550 5.1.1 The email account does not exist',
      status: '5.1.1',
    });
    const processed = event({ event: 'processed', email: 'ok@example.test', mailgate_id: id });
    const strange = event({ event: 'brand_new_type', email: 'ok@example.test', mailgate_id: id });
    const body = JSON.stringify([processed, delivered, bounce, strange]);
    const res = await post(tn, body, tn.signer.headers(body));
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ received: 4, stored: 4, duplicates: 0, unmatched: 0 });

    const email = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: tn.key.token });
    expect(email.body.data.status).toBe('bounced');
    expect(email.body.data.recipients).toEqual([
      expect.objectContaining({ email: 'ok@example.test', state: 'delivered' }),
      expect.objectContaining({ email: 'gone@example.test', state: 'bounced', bounceType: 'hard' }),
    ]);
    const timeline = await http(t.baseUrl, 'GET', `/v1/emails/${id}/events`, {
      token: tn.key.token,
    });
    expect(
      timeline.body.data.items.map((e: { type: string; source: string }) => [e.type, e.source]),
    ).toEqual([
      ['accepted', 'mailgate'],
      ['sent', 'mailgate'],
      ['processed', 'sendgrid'],
      ['delivered', 'sendgrid'],
      ['bounced', 'sendgrid'],
      ['other', 'sendgrid'],
    ]);
    const list = await http(t.baseUrl, 'GET', '/v1/suppressions', { token: tn.key.token });
    expect(list.body.data.items).toEqual([
      expect.objectContaining({
        email: 'gone@example.test',
        reason: 'hard_bounce',
        source: 'sendgrid',
        sourceMessageId: id,
      }),
    ]);

    // A complaint on the delivered one: complained, suppressed.
    const spam = JSON.stringify([
      event({ event: 'spamreport', email: 'ok@example.test', mailgate_id: id }),
    ]);
    expect((await post(tn, spam, tn.signer.headers(spam))).status).toBe(200);
    const after = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: tn.key.token });
    expect(after.body.data.status).toBe('complained');
    const complaints = await http(t.baseUrl, 'GET', '/v1/suppressions?email=ok@', {
      token: tn.key.token,
    });
    expect(complaints.body.data.items).toEqual([
      expect.objectContaining({ email: 'ok@example.test', reason: 'complaint' }),
    ]);

    // SendGrid retries deliveries: a repeated sg_event_id is stored once.
    const again = await post(tn, body, tn.signer.headers(body));
    expect(again.body.data).toEqual({ received: 4, stored: 0, duplicates: 4, unmatched: 0 });
    expect(await stored(tn.id)).toBe(5);
  });

  it('all delivered: the message is delivered', async () => {
    const tn = await tenant();
    const { id } = await sendThroughSendGrid(tn, ['one@example.test']);
    const body = JSON.stringify([
      event({ event: 'delivered', email: 'one@example.test', mailgate_id: id }),
    ]);
    await post(tn, body, tn.signer.headers(body));
    const email = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: tn.key.token });
    expect(email.body.data.status).toBe('delivered');
  });

  it('refuses a tampered body, a stale timestamp, a missing signature and a tenant without a key, storing nothing', async () => {
    const tn = await tenant();
    const { id } = await sendThroughSendGrid(tn, ['x@example.test']);
    const body = JSON.stringify([
      event({ event: 'spamreport', email: 'x@example.test', mailgate_id: id }),
    ]);
    const headers = tn.signer.headers(body);

    const tampered = await post(tn, body.replace('spamreport', 'delivered '), headers);
    expect(tampered.status).toBe(401);
    const stale = await post(tn, body, tn.signer.headers(body, new Date(Date.now() - 11 * 60_000)));
    expect(stale.status).toBe(401);
    const future = await post(
      tn,
      body,
      tn.signer.headers(body, new Date(Date.now() + 11 * 60_000)),
    );
    expect(future.status).toBe(401);
    const unsigned = await post(tn, body, { 'content-type': 'application/json' });
    expect(unsigned.status).toBe(401);
    const otherSigner = new SendGridEventSigner();
    const wrongKey = await post(tn, body, otherSigner.headers(body));
    expect(wrongKey.status).toBe(401);

    const keyless = await tenant(false);
    const noKey = await post(keyless, body, keyless.signer.headers(body));
    expect(noKey.status).toBe(403);
    const unknownTenant = await post(tn, body, headers, 'no-such-tenant');
    expect(unknownTenant.status).toBe(403);

    expect(await stored(tn.id)).toBe(0);
    const email = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: tn.key.token });
    expect(email.body.data.status).toBe('sent');
    const list = await http(t.baseUrl, 'GET', '/v1/suppressions', { token: tn.key.token });
    expect(list.body.data.items).toEqual([]);
  });

  it('fuzz: random bodies, headers and sizes never answer 5xx and store nothing unsigned', async () => {
    const tn = await tenant();
    const { id } = await sendThroughSendGrid(tn, ['f@example.test']);
    const valid = JSON.stringify([
      event({ event: 'delivered', email: 'f@example.test', mailgate_id: id }),
    ]);
    const bodies = [
      '',
      '{',
      'null',
      '{}',
      '[]',
      '[1, "x", null]',
      JSON.stringify({ deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) }),
      'x'.repeat(100_000),
      valid,
      JSON.stringify([{ event: 'delivered', mailgate_id: 'not-a-uuid', email: 1 }]),
      JSON.stringify([
        { event: 'bounce', mailgate_id: randomUUID(), email: 'nobody@example.test' },
      ]),
      '[{"event":"delivered","email":"\\u0000"}]',
    ];
    const headerSets = (body: string): Array<Record<string, string>> => [
      {},
      { 'content-type': 'application/json' },
      { 'content-type': 'text/plain' },
      {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': 'garbage',
        'x-twilio-email-event-webhook-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': randomBytes(70).toString('base64'),
        'x-twilio-email-event-webhook-timestamp': 'yesterday',
      },
      {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': 'A'.repeat(5000),
        'x-twilio-email-event-webhook-timestamp': '9'.repeat(40),
      },
      // Signed for another body.
      tn.signer.headers(`${body}x`),
    ];
    for (const body of bodies) {
      for (const headers of headerSets(body)) {
        for (const tenantId of [tn.id, 'x'.repeat(300), '..%2F', newTenantId()]) {
          const res = await http(t.baseUrl, 'POST', `/v1/provider-events/sendgrid/${tenantId}`, {
            rawBody: body,
            headers,
          });
          expect(res.status).toBeLessThan(500);
          expect(res.status).not.toBe(200);
        }
      }
    }
    expect(await stored(tn.id)).toBe(0);
    // Signed but not storable: still no 5xx.
    for (const body of bodies) {
      const res = await post(tn, body, tn.signer.headers(body));
      expect(res.status).toBeLessThan(500);
    }
  });
  it('fuzz (property): unsigned or wrongly signed requests of any body, headers and size never answer 5xx, never 200, and change nothing', async () => {
    const tn = await tenant();
    const { id } = await sendThroughSendGrid(tn, ['p@example.test']);
    const before = await footprint(tn.id);
    const realEvent = JSON.stringify([
      event({ event: 'spamreport', email: 'p@example.test', mailgate_id: id }),
    ]);
    const now = (): number => Math.floor(Date.now() / 1000);
    const body = fc.oneof(
      { weight: 4, arbitrary: hostileJson.map(serialize).filter(underLimit) },
      { weight: 2, arbitrary: fc.constant(realEvent) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      // Around the body limit: just under, at and past it.
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: BODY_LIMIT - 2, max: BODY_LIMIT + 2 })
          .map((n) => `[${'x'.repeat(Math.max(0, n - 2))}]`),
      },
    );
    /** Header values a client can send: printable ASCII (fetch refuses CR/LF and non-Latin-1). */
    const headerText = fc.string({ unit: 'grapheme-ascii', maxLength: 120 });
    const signature = (raw: string, ts: string): fc.Arbitrary<string | undefined> =>
      fc.oneof(
        fc.constant(undefined),
        headerText,
        fc
          .uint8Array({ minLength: 0, maxLength: 100 })
          .map((b) => Buffer.from(b).toString('base64')),
        // Real signatures, but for another body, another timestamp or another key.
        fc.constant(tn.signer.sign(`${raw} `, ts)),
        fc.constant(tn.signer.sign(raw, String(Number(ts) + 1))),
        fc.constant(new SendGridEventSigner().sign(raw, ts)),
      );
    const timestamp = fc.oneof(
      fc.constant(undefined),
      headerText,
      fc.integer({ min: -1, max: 2 ** 40 }).map(String),
      // In and just out of the 10-minute window.
      fc.integer({ min: -700, max: 700 }).map((d) => String(now() + d)),
    );
    const request = fc
      .tuple(body, timestamp, fc.option(contentType), fc.option(headerText))
      .chain(([raw, ts, type, encoding]) =>
        signature(raw, ts ?? String(now())).map((sig) => ({ raw, ts, type, encoding, sig })),
      );
    const target = fc.oneof(
      { weight: 6, arbitrary: fc.constant(tn.id) },
      {
        weight: 1,
        arbitrary: hostileString.map(
          // Every UTF-8 byte percent-encoded (encodeURIComponent throws on lone surrogates).
          (s) =>
            [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') || 'x',
        ),
      },
    );
    await fc.assert(
      fc.asyncProperty(request, target, async ({ raw, ts, type, encoding, sig }, tenantId) => {
        const headers: Record<string, string> = {};
        if (type !== null) {
          headers['content-type'] = type;
        }
        if (encoding !== null) {
          headers['content-encoding'] = encoding;
        }
        if (ts !== undefined) {
          headers['x-twilio-email-event-webhook-timestamp'] = ts;
        }
        if (sig !== undefined) {
          headers['x-twilio-email-event-webhook-signature'] = sig;
        }
        const res = await http(t.baseUrl, 'POST', `/v1/provider-events/sendgrid/${tenantId}`, {
          rawBody: raw,
          headers,
        });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: FUZZ_RUNS * 2 },
    );
    await expect(footprint(tn.id)).resolves.toEqual(before);
  }, 240_000);

  it('fuzz (property): signed batches of any shape never answer 5xx and never touch another tenant', async () => {
    const tn = await tenant();
    const victim = await tenant();
    const target = await sendThroughSendGrid(victim, ['v@example.test']);
    const own = await sendThroughSendGrid(tn, ['o@example.test']);
    const victimBefore = await footprint(victim.id);
    // Valid events naming the victim's message (by mailgate_id and sg_message_id), then mutated.
    const base = [
      event({
        event: 'bounce',
        type: 'bounce',
        email: 'v@example.test',
        mailgate_id: target.id,
        sg_message_id: target.sgMessageId,
        reason: '550 5.1.1 gone',
      }),
      event({ event: 'delivered', email: 'o@example.test', mailgate_id: own.id }),
    ];
    const paths = [
      '0',
      '0.event',
      '0.type',
      '0.email',
      '0.timestamp',
      '0.sg_event_id',
      '0.mailgate_id',
      '0.sg_message_id',
      '0.reason',
      '1.event',
      '1.email',
      '1.mailgate_id',
      '1.sg_event_id',
      '1.timestamp',
    ];
    const batch = fc
      .oneof(
        { weight: 3, arbitrary: mutationsOf(base, paths).map(serialize) },
        { weight: 1, arbitrary: hostileJson.map(serialize) },
      )
      .filter(underLimit);
    await fc.assert(
      fc.asyncProperty(batch, async (raw) => {
        const res = await post(tn, raw, tn.signer.headers(raw));
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: FUZZ_RUNS },
    );
    await expect(footprint(victim.id)).resolves.toEqual(victimBefore);
  }, 240_000);
});
