import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import { configure } from '../factories/provider-config';
import {
  startRecordingProxy,
  startSmtpTestServer,
  type RecordingProxy,
  type SmtpTestServer,
} from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';

/** RFC 6531: a UTF-8 local part goes out with SMTPUTF8, or not at all. */
describe('SMTPUTF8: UTF-8 local parts over SMTP', () => {
  let t: TestApp;
  let utf8Relay: SmtpTestServer;
  let asciiRelay: SmtpTestServer;
  let utf8Proxy: RecordingProxy;
  let asciiProxy: RecordingProxy;

  beforeAll(async () => {
    [utf8Relay, asciiRelay] = await Promise.all([
      // Open relays (AUTH offered, not required), one with SMTPUTF8 in its EHLO, one without.
      startSmtpTestServer({ tls: 'none', auth: { user: 'x', pass: 'y' }, authOptional: true }),
      startSmtpTestServer({
        tls: 'none',
        auth: { user: 'x', pass: 'y' },
        authOptional: true,
        smtputf8: false,
      }),
    ]);
    // The proxies see the commands as sent (smtp-server shows envelope domains in Unicode).
    [utf8Proxy, asciiProxy] = await Promise.all([
      startRecordingProxy(utf8Relay.port),
      startRecordingProxy(asciiRelay.port),
    ]);
    t = await startTestApp({ env: { DISPATCH_RETRY_BASE_MS: '100' } });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([utf8Proxy.close(), asciiProxy.close()]);
    await Promise.all([utf8Relay.close(), asciiRelay.close()]);
  });

  async function tenantOn(port: number): Promise<TestKey> {
    const key = await createKey(t, newTenantId());
    const res = await configure(t, key.token, {
      type: 'custom',
      enabled: true,
      // No `sender`: no AUTH (an internal relay); `senderPass` is required by the seed's DTO.
      smtpConfig: { smtp_host: '127.0.0.1', smtp_port: port, senderPass: 'unused', secure: false },
    });
    expect(res.body).toMatchObject({ statusCode: 200 });
    return key;
  }

  const send = (key: TestKey, body: Record<string, unknown>) =>
    http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body });

  it('sends MAIL FROM with SMTPUTF8 and the UTF-8 local part to a server that offers it', async () => {
    const key = await tenantOn(utf8Proxy.port);
    const res = await send(key, anEmail({ from: 'app@corp.example', to: '用户@例子.中国' }));
    expect(res.status).toBe(202);
    const id = (res.body.data as { id: string }).id;
    const final = await waitFor(
      async () => {
        const view = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        const data = view.body.data as { status: string; lastError?: unknown };
        return ['sent', 'failed'].includes(data.status) ? data : undefined;
      },
      { timeoutMs: 30_000, what: 'sent' },
    );
    expect(final).toMatchObject({ status: 'sent' });
    const [received] = await utf8Relay.waitForMessages(1);
    expect(received.rcptTo).toEqual([expect.stringMatching(/^用户@/)]);
    const wire = utf8Proxy.received().toString('utf8');
    expect(wire).toMatch(/^MAIL FROM:<app@corp\.example> SMTPUTF8/m);
    // With SMTPUTF8 the domain may go in Unicode too (RFC 6531 §3.3); nodemailer writes it so.
    expect(wire).toMatch(/^RCPT TO:<用户@(?:例子\.中国|xn--fsqu00a\.xn--fiqs8s)>/m);
  });

  it('fails the attempt `rejected` with SMTPUTF8_UNSUPPORTED, sending nothing, when the server does not offer it', async () => {
    const key = await tenantOn(asciiProxy.port);
    const res = await send(
      key,
      anEmail({ from: 'app@corp.example', to: ['ok@example.com', '用户@例子.中国'] }),
    );
    expect(res.status).toBe(202);
    const id = (res.body.data as { id: string }).id;
    const message = await waitFor(
      async () => {
        const view = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
        const data = view.body.data as {
          status: string;
          lastError?: { class: string; code: string };
        };
        return data.status === 'failed' ? data : undefined;
      },
      { timeoutMs: 30_000, what: 'failed' },
    );
    expect(message.lastError).toMatchObject({ class: 'rejected', code: 'SMTPUTF8_UNSUPPORTED' });
    // No partial send: not even the ASCII recipient, not even a MAIL FROM.
    expect(asciiRelay.messages).toEqual([]);
    expect(asciiProxy.received().toString('utf8')).not.toMatch(/^(MAIL FROM|RCPT TO)/m);
  });
});
