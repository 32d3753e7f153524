import { startChildApp, type ChildApp } from '../support/child-app';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { anEmail, configureSmtp, createKey, newTenantId, type TestKey } from '../factories/emails';
import { parseExposition, sampleValue } from '../operability/prometheus-text';
import { startSmtpSink, type SmtpSink } from '../reliability/support/smtp-sink';

interface EmailData {
  id: string;
  status: string;
  transport: string | null;
  fallbackReason: string | null;
  attempts: Array<{ transport: string; outcome: string; errorClass: string | null }>;
}

async function finalOf(t: TestApp, key: TestKey, id: string): Promise<EmailData> {
  return waitFor(
    async () => {
      const res = await http(t.baseUrl, 'GET', `/v1/emails/${id}`, { token: key.token });
      const data = res.body.data as EmailData;
      return data.status === 'sent' || data.status === 'failed' ? data : undefined;
    },
    { timeoutMs: 30_000, what: `a final status for ${id}` },
  );
}

describe('dispatch across tenants, and the built-in fallback after exhausted retries', () => {
  it('several tenants with their own servers and logins sending at once: nothing crosses over', async () => {
    const TENANTS = 4;
    const login = (i: number): string => `login-${i}@tenant-${i}.test`;
    const EACH = 12;
    const servers: SmtpTestServer[] = await Promise.all(
      Array.from({ length: TENANTS }, (_, i) =>
        startSmtpTestServer({ tls: 'none', auth: { user: login(i), pass: `pass-${i}` } }),
      ),
    );
    const t = await startTestApp({ env: { DISPATCH_CONCURRENCY: '8' } });
    try {
      const keys = await Promise.all(servers.map(() => createKey(t, newTenantId())));
      await Promise.all(
        keys.map((key, i) =>
          configureSmtp(t, key.token, { port: servers[i].port, user: login(i), pass: `pass-${i}` }),
        ),
      );
      // Every tenant's batch is accepted at the same moment, so their sends interleave.
      const ids = await Promise.all(
        keys.map(async (key, i) => {
          const res = await http(t.baseUrl, 'POST', '/v1/emails/batch', {
            token: key.token,
            body: {
              messages: Array.from({ length: EACH }, () =>
                anEmail({ from: `tenant-${i}@example.test` }),
              ),
            },
          });
          expect(res.status).toBe(202);
          return (res.body.data.results as Array<{ id: string }>).map((r) => r.id);
        }),
      );
      await Promise.all(servers.map((s) => s.waitForMessages(EACH, 30_000)));
      servers.forEach((server, i) => {
        expect(server.messages).toHaveLength(EACH);
        for (const m of server.messages) {
          expect(m.user).toBe(login(i));
          expect(m.mailFrom).toBe(`tenant-${i}@example.test`);
        }
        expect(new Set(server.messages.map((m) => m.parsed.messageId))).toEqual(
          new Set(ids[i].map((id) => `<${id}@example.test>`)),
        );
      });
    } finally {
      await t.close();
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('falls back to the built-in mailer once a provider answering 451 forever exhausts its attempts', async () => {
    const [provider, relay] = await Promise.all([
      startSmtpTestServer({ tls: 'none', auth: { user: 'mailer@example.test', pass: 'p' } }),
      startSmtpTestServer({ tls: 'none', auth: { user: 'relay', pass: 'relay-pass' } }),
    ]);
    provider.reply('MAIL', { code: 451, message: '4.7.1 Try again later', times: 1_000 });
    const t = await startTestApp({
      env: {
        BUILTIN_MAILER_URL: `smtp://relay:relay-pass@127.0.0.1:${relay.port}`,
        BUILTIN_MAIL_FROM: 'gateway@builtin.test',
        DISPATCH_MAX_ATTEMPTS: '2',
        DISPATCH_RETRY_BASE_MS: '50',
      },
    });
    try {
      const key = await createKey(t, newTenantId());
      await configureSmtp(
        t,
        key.token,
        { port: provider.port, user: 'mailer@example.test', pass: 'p' },
        { fallbackOnFailure: true },
      );
      const fallbacks = async (): Promise<number> =>
        sampleValue(
          parseExposition((await http(t.baseUrl, 'GET', '/metrics')).text),
          'mailgate_builtin_fallbacks_total',
          { reason: 'provider_retries_exhausted' },
        );
      const before = await fallbacks();
      const res = await http(t.baseUrl, 'POST', '/v1/emails', {
        token: key.token,
        body: anEmail(),
      });
      expect(res.status).toBe(202);
      const data = await finalOf(t, key, res.body.data.id as string);
      expect(data).toMatchObject({ status: 'sent', transport: 'builtin' });
      expect(data.fallbackReason).toMatch(/provider retries exhausted/);
      const providerAttempts = data.attempts.filter((a) => a.transport === 'provider:custom');
      expect(providerAttempts).toHaveLength(2);
      expect(providerAttempts.every((a) => a.outcome === 'retry')).toBe(true);
      expect(data.attempts.at(-1)).toMatchObject({ transport: 'builtin', outcome: 'sent' });
      expect(relay.messages).toHaveLength(1);
      expect(relay.messages[0].user).toBe('relay');
      expect(provider.messages).toHaveLength(0);
      await waitFor(async () => (await fallbacks()) === before + 1, {
        what: 'the fallback counter up by one',
      });
    } finally {
      await t.close();
      await Promise.all([provider.close(), relay.close()]);
    }
  });
});

describe('SIGTERM while the relay stalls', () => {
  let db: TestDatabase;
  let sink: SmtpSink;
  const children: ChildApp[] = [];

  afterAll(async () => {
    await Promise.all(children.splice(0).map((c) => c.dispose()));
    await sink?.close();
    await db?.drop();
  });

  it('exits 0 within the drain bound, leaves nothing sending, and the next instance resends with the same Message-ID', async () => {
    db = await createTestDatabase();
    // The first DATA is never answered, as a hung relay does.
    sink = await startSmtpSink({ stall: (n) => n === 1 });
    // The drain waits min(20 s, lease): a 3 s lease bounds it at 3 s.
    const env = { DATABASE_URL: db.url, DISPATCH_LEASE_MS: '3000' };
    const first = await startChildApp(env);
    children.push(first);
    const app = { baseUrl: first.baseUrl } as TestApp;
    const key = await createKey(app, newTenantId());
    await configureSmtp(app, key.token, { port: sink.port, user: 'u@example.test', pass: 'p' });
    const res = await http(first.baseUrl, 'POST', '/v1/emails', {
      token: key.token,
      body: anEmail(),
    });
    expect(res.status).toBe(202);
    const id = res.body.data.id as string;
    await waitFor(() => sink.stalled.length === 1, { what: 'the send to stall at DATA' });

    const start = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    const exitMs = Date.now() - start;
    console.log(`SIGTERM with a stalled relay: exited after ${exitMs} ms`);
    expect(exitMs).toBeLessThan(3_000 + 5_000);
    const rows = await query<{ status: string }>(
      db.url,
      'SELECT status FROM email_messages WHERE id = $1',
      [id],
    );
    expect(rows).toEqual([{ status: 'queued' }]);

    const next = await startChildApp(env);
    children.push(next);
    await waitFor(() => sink.messageIds.length === 1, {
      timeoutMs: 30_000,
      what: 'the stalled message sent by the next instance',
    });
    expect(sink.messageIds).toEqual([`<${id}@example.test>`]);
    expect(sink.stalled[0].messageId).toBe(sink.messageIds[0]);
  });
});
