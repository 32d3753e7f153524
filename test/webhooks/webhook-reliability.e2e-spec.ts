import { startChildApp, type ChildApp } from '../support/child-app';
import { createTestDatabase, query, type TestDatabase } from '../support/database';
import { http, startTestApp, waitFor, type TestApp } from '../support/test-app';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { anEmail, createKey, newTenantId, type TestKey } from '../factories/emails';
import { createEndpoint } from '../factories/webhooks';
import { acceptBatch } from '../reliability/support/gateway';
import { handle } from '../reliability/support/crash';

const ALL_SCOPES = [
  'email:send',
  'email:read',
  'provider:write',
  'provider:read',
  'webhooks:write',
];

async function send(t: TestApp, key: TestKey): Promise<string> {
  const res = await http(t.baseUrl, 'POST', '/v1/emails', { token: key.token, body: anEmail() });
  expect(res.status).toBe(202);
  return res.body.data.id as string;
}

/** The webhook worker's id (`locked_by` of its leases), from its start-up log line. */
function webhookWorkerIdOf(child: ChildApp): Promise<string> {
  return waitFor(
    () => {
      for (const line of child.output) {
        if (line.includes('"webhook worker started"')) {
          return (JSON.parse(line) as { workerId: string }).workerId;
        }
      }
      return undefined;
    },
    { what: 'the webhook worker start-up line' },
  );
}

describe('webhooks: never lost', () => {
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  describe('receiver down for a while', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({
        env: {
          WEBHOOK_RETRY_SCHEDULE: '100ms,300ms,500ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
          WEBHOOK_POLL_MS: '50',
        },
      });
    });
    afterAll(async () => {
      await t.close();
    });

    it('receiver down, then up: nothing lost; repeats only under the same webhook-id', async () => {
      const key = await createKey(t, newTenantId(), ALL_SCOPES);
      const ep = await createEndpoint(t, key.token, { url: receiver.url, events: ['email.sent'] });
      receiver.secrets.set('current', ep.secret);
      await receiver.stop();
      const ids: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        ids.push(await send(t, key));
      }
      // Every event is in the outbox and has been attempted at least once while down.
      await waitFor(
        async () => {
          const rows = await query<{ n: number }>(
            t.db.url,
            `SELECT count(*)::int AS n FROM webhook_deliveries
             WHERE endpoint_id = $1 AND attempts >= 1 AND status = 'pending'`,
            [ep.id],
          );
          return rows[0].n === ids.length;
        },
        { what: 'every delivery attempted while the receiver is down' },
      );
      await receiver.restart();
      await waitFor(() => receiver.deliveredIds().size === ids.length, {
        what: 'every event delivered after the receiver came back',
      });
      const byEmail = new Map<string, Set<string>>();
      for (const call of receiver.calls) {
        expect(call.verifiedBy).toEqual(['current']);
        const set = byEmail.get(call.payload.data.id as string) ?? new Set();
        set.add(call.id);
        byEmail.set(call.payload.data.id as string, set);
      }
      expect([...byEmail.keys()].sort()).toEqual([...ids].sort());
      // One webhook-id per event, however many times it came.
      expect([...byEmail.values()].every((s) => s.size === 1)).toBe(true);
      const listed = await http(t.baseUrl, 'GET', `/v1/webhook-endpoints/${ep.id}/deliveries`, {
        token: key.token,
      });
      expect(listed.body.data.items).toHaveLength(20);
      for (const d of listed.body.data.items) {
        expect(d).toMatchObject({ status: 'delivered', lastStatusCode: 200, lastError: null });
        expect(d.attempts).toBeGreaterThanOrEqual(2);
        expect(typeof d.lastLatencyMs).toBe('number');
      }
    });
  });

  describe('gateway SIGKILLed mid-delivery', () => {
    let db: TestDatabase;
    const children: ChildApp[] = [];
    beforeEach(async () => {
      db = await createTestDatabase();
    });
    afterEach(async () => {
      await Promise.all(children.splice(0).map((c) => c.dispose()));
      await db.drop();
    });

    it('0 lost; only deliveries in flight at the kill come again, under their webhook-id', async () => {
      const env = {
        DATABASE_URL: db.url,
        DISPATCH_LEASE_MS: '2000',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_RETRY_SCHEDULE: '200ms,500ms,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s',
      };
      let gateway = await startChildApp(env);
      children.push(gateway);
      const key = await createKey(handle(gateway), newTenantId(), ALL_SCOPES);
      const ep = await createEndpoint(gateway, key.token, {
        url: receiver.url,
        events: ['email.sent'],
      });
      receiver.secrets.set('current', ep.secret);
      // Slow answers keep WEBHOOK_ENDPOINT_CONCURRENCY calls open when the kill lands.
      receiver.delayMs = 150;
      const ids = await acceptBatch(gateway, key, 120, 'webhook-kill');
      await waitFor(() => receiver.deliveredIds().size >= 30, {
        what: '30 events delivered before the kill',
        timeoutMs: 30_000,
      });
      const workerId = await webhookWorkerIdOf(gateway);
      gateway.child.kill('SIGKILL');
      expect((await gateway.exited).signal).toBe('SIGKILL');
      const inFlight = (
        await query<{ id: string }>(
          db.url,
          `SELECT id FROM webhook_deliveries WHERE status = 'delivering' AND locked_by = $1`,
          [workerId],
        )
      ).map((r) => r.id);
      expect(inFlight.length).toBeGreaterThan(0);

      gateway = await startChildApp(env);
      children.push(gateway);
      await waitFor(() => receiver.deliveredIds().size === ids.length, {
        what: 'every email.sent event delivered after the restart',
        timeoutMs: 60_000,
      });
      const idsByEmail = new Map<string, Set<string>>();
      const seen = new Map<string, number>();
      for (const call of receiver.calls) {
        expect(call.verifiedBy).toEqual(['current']);
        const emailId = call.payload.data.id as string;
        idsByEmail.set(emailId, (idsByEmail.get(emailId) ?? new Set()).add(call.id));
        seen.set(call.id, (seen.get(call.id) ?? 0) + 1);
      }
      // Every message's event arrived (0 lost), each under exactly one webhook-id.
      expect([...idsByEmail.keys()].sort()).toEqual([...ids].sort());
      expect([...idsByEmail.values()].every((s) => s.size === 1)).toBe(true);
      // Whatever came twice was in flight at the kill.
      const repeated = [...seen].filter(([, n]) => n > 1).map(([id]) => id);
      expect(repeated.filter((id) => !inFlight.includes(id))).toEqual([]);
      console.log(
        `webhook SIGKILL: ${ids.length} events, in flight at the kill ${inFlight.length}, ` +
          `repeated ${repeated.length}, lost 0`,
      );
    });
  });
});
