import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { Client } from 'pg';
import type { Logger } from 'pino';
import { LOGGER } from '../common/logger.constants';
import { APP_ENV } from '../config/app-env.constants';
import type { ReadyEnv } from '../config/env';
import { LifecycleService } from '../health/lifecycle.service';
import { MetricsService } from '../metrics/metrics.service';
import { suppressionKey } from '../suppressions/suppression-address';
import { EmailDispatchRepository } from './email-dispatch.repository';
import { OUTBOX_CHANNEL } from './emails.constants';
import { ContentSealer } from './content-sealer';
import { DispatchBookkeeping } from './dispatch/dispatch-bookkeeping';
import { MessageDispatch } from './dispatch/message-dispatch';
import { recipientsOf } from './recipient-outcomes';
import { CircuitBreaker } from './scheduling/circuit-breaker';
import { SendRateGate } from './scheduling/send-rate-gate';
import { CLAIMS_PER_SEND_SLOT, SendSlots } from './scheduling/send-slots';
import { TenantSlots } from './scheduling/tenant-slots';
import { TransportResolver } from './transport-resolver';

/** Safety-net poll while idle; NOTIFY wakes the dispatcher at once for new work. */
const IDLE_POLL_MS = 2_000;
/** Never poll faster than this when rows are due but held by other replicas. */
const MIN_IDLE_MS = 50;
/** How long shutdown waits for in-flight sends before releasing their leases. */
const DRAIN_MS = 20_000;

/**
 * The outbox worker: claims due messages with FOR UPDATE SKIP LOCKED, leases them, and hands each
 * to MessageDispatch (dispatch/) with bounded concurrency, which sends it through the tenant's
 * transport and applies the error class (dispatch/attempt-policy.ts): rejected/config fail at
 * once; transient/rate_limited/auth retry with backoff until DISPATCH_MAX_ATTEMPTS. Delivery is
 * at-least-once; every attempt carries one Message-ID. This class owns the claim loop, the
 * LISTEN connection and shutdown.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly log: Logger;
  private running = false;
  private loop?: Promise<void>;
  private readonly inflight = new Set<Promise<void>>();
  private waker?: () => void;
  private wakePending = false;
  /**
   * The last claim filled every free replica slot: the loop is woken once a quarter of them is
   * free again (one claim then refills many; every message that finishes frees one, so this
   * always comes), not at the first, which would make a claim of one row per finished message.
   */
  private replicaFull = false;
  /** Messages a replica holds claimed at most (each is a lease). */
  private readonly claimSlots: number;
  private listener?: Client;
  private reconnectTimer?: NodeJS.Timeout;
  /** Fair share of claims per tenant (DISPATCH_TENANT_CONCURRENCY, transport size, round robin). */
  private readonly tenants: TenantSlots;
  /** Sends in flight per replica, tenant and adapter. */
  private readonly sendSlots: SendSlots;
  /** What happens to each claimed message, from its plan to its record. */
  private readonly messages: MessageDispatch;

  constructor(
    private readonly repo: EmailDispatchRepository,
    resolver: TransportResolver,
    private readonly lifecycle: LifecycleService,
    @Inject(APP_ENV) private readonly env: ReadyEnv,
    @Inject(LOGGER) logger: Logger,
    metrics: MetricsService,
    sealer: ContentSealer,
    breaker: CircuitBreaker,
    rateGate: SendRateGate,
  ) {
    this.log = logger.child({ module: 'dispatcher', workerId: this.workerId });
    this.tenants = new TenantSlots(env.dispatch.tenantConcurrency * CLAIMS_PER_SEND_SLOT);
    this.claimSlots = env.dispatch.concurrency * CLAIMS_PER_SEND_SLOT;
    this.sendSlots = new SendSlots(env.dispatch.concurrency, env.dispatch.tenantConcurrency);
    this.messages = new MessageDispatch(
      this.sendSlots,
      new DispatchBookkeeping(repo, this.workerId, this.log),
      resolver,
      sealer,
      breaker,
      rateGate,
      this.tenants,
      metrics,
      env.dispatch,
      this.log,
    );
  }

  onApplicationBootstrap(): void {
    if (this.env.app.role === 'api') {
      return;
    }
    this.running = true;
    this.lifecycle.onDrain(() => this.stop());
    this.listen();
    this.loop = this.run();
    this.log.info(
      {
        concurrency: this.env.dispatch.concurrency,
        tenantConcurrency: this.env.dispatch.tenantConcurrency,
      },
      'dispatcher started',
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Stops claiming, lets in-flight sends finish (bounded), and gives back what is left. */
  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.running = false;
    this.wake();
    clearTimeout(this.reconnectTimer);
    await this.loop;
    // Claimed messages still waiting for a send slot go back to the queue now, not at drain's end.
    this.sendSlots.close();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((r) => (timer = setTimeout(r, Math.min(DRAIN_MS, this.env.dispatch.leaseMs)))),
    ]);
    clearTimeout(timer);
    try {
      const released = await this.repo.releaseLeases(this.workerId);
      if (released > 0) {
        this.log.warn({ released }, 'released leases of unfinished sends');
      }
    } catch (error) {
      this.log.error({ err: error }, 'could not release leases; they expire by themselves');
    }
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    this.log.info('dispatcher stopped');
  }

  /** Wakes the loop (new work, a free slot, or stop). */
  private wake(): void {
    this.wakePending = true;
    const waker = this.waker;
    this.waker = undefined;
    waker?.();
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waker = undefined;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waker = done;
    });
  }

  /** A dedicated connection LISTENing for new work; reconnects after database restarts. */
  private listen(): void {
    if (!this.running) {
      return;
    }
    const client = new Client({
      connectionString: this.env.database.url,
      application_name: 'mailgate-listener',
    });
    const retry = (error?: unknown): void => {
      if (this.listener === client) {
        this.listener = undefined;
      }
      client.removeAllListeners();
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (this.running) {
        if (error !== undefined) {
          this.log.warn({ err: error }, 'outbox listener lost; reconnecting');
        }
        this.reconnectTimer = setTimeout(() => this.listen(), 1_000);
      }
    };
    client.on('notification', () => this.wake());
    client.on('error', retry);
    client.on('end', () => retry());
    this.listener = client;
    client
      .connect()
      .then(() => client.query(`LISTEN ${OUTBOX_CHANNEL}`))
      .then(() => this.wake())
      .catch(retry);
  }

  private async run(): Promise<void> {
    const { leaseMs } = this.env.dispatch;
    // Claims in a row that found nothing although rows were already due (held by other replicas,
    // or by a scheduling gate such as an open circuit).
    let stalled = 0;
    let pastDue = false;
    while (this.running) {
      const free = this.freeClaimSlots();
      let claimed = 0;
      let walkCut = false;
      if (free > 0 && !this.lifecycle.draining) {
        try {
          const { messages, lastServed, ...claim } = await this.repo.claim(
            free,
            leaseMs,
            this.workerId,
            this.tenants.limits(),
          );
          this.tenants.claimed(
            messages.map((m) => m.tenantId),
            lastServed,
          );
          const claimedAt = Date.now();
          // One round trip for the whole claim; each send awaits its own part of it.
          const plans = this.repo.recipientPlans(
            messages.map((m) => ({
              tenantId: m.tenantId,
              id: m.id,
              keys: recipientsOf(m.payload).map(suppressionKey),
            })),
          );
          plans.catch(() => undefined); // each process() sees the failure itself
          for (const message of messages) {
            this.track(message.tenantId, this.messages.process(message, claimedAt, plans));
          }
          claimed = messages.length;
          walkCut = claim.walkCut;
          // Every replica slot taken: more may be due as soon as one frees.
          this.replicaFull = claimed >= free;
        } catch (error) {
          this.log.error({ err: error }, 'claim failed; retrying');
          await this.sleep(1_000);
          continue;
        }
      }
      if (!this.running) {
        break;
      }
      stalled = claimed === 0 && pastDue ? stalled + 1 : 0;
      pastDue = false;
      if (claimed > 0 && claimed < free && walkCut) {
        // Tenants past this claim's walk may have due work; a claim that finds nothing sleeps.
        continue;
      }
      if (this.inflight.size > 0) {
        // Busy: a finished send (or NOTIFY) wakes the loop.
        await this.sleep(IDLE_POLL_MS);
        continue;
      }
      // Idle: sleep until the next row is due.
      const idle = await this.idleMs(stalled);
      pastDue = idle.pastDue;
      await this.sleep(idle.ms);
    }
  }

  /**
   * Until the next row is due. Rows already due that `stalled` claims in a row did not find (their
   * tenant's circuit is open, or other replicas hold them) back the poll off, doubling up to IDLE_POLL_MS.
   */
  private async idleMs(stalled: number): Promise<{ ms: number; pastDue: boolean }> {
    try {
      const due = await this.repo.nextDueAt();
      if (due === null) {
        return { ms: IDLE_POLL_MS, pastDue: false };
      }
      const wait = new Date(due).getTime() - Date.now();
      if (wait > 0) {
        return { ms: Math.min(IDLE_POLL_MS, Math.max(MIN_IDLE_MS, wait)), pastDue: false };
      }
      return { ms: Math.min(IDLE_POLL_MS, MIN_IDLE_MS * 2 ** stalled), pastDue: true };
    } catch {
      return { ms: IDLE_POLL_MS, pastDue: false };
    }
  }

  private freeClaimSlots(): number {
    return this.claimSlots - this.inflight.size;
  }

  /**
   * Frees the message's replica and tenant slots when its processing ends, and wakes the claim loop
   * when a claim is worth making: half the tenant's slots are free (TenantSlots.finished), or a
   * quarter of the replica's, after a claim that the replica's own slots cut short.
   */
  private track(tenantId: string, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) =>
        this.log.error({ err: error }, 'dispatch bookkeeping failed; the lease will expire'),
      )
      .finally(() => {
        this.inflight.delete(tracked);
        const replicaRefill =
          this.replicaFull && this.freeClaimSlots() >= Math.max(1, Math.floor(this.claimSlots / 4));
        if (this.tenants.finished(tenantId) || replicaRefill) {
          this.replicaFull = false;
          this.wake();
        }
      });
    this.inflight.add(tracked);
  }
}
