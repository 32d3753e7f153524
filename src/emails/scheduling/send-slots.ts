import type { MailTransport } from '../../transports/mail-transport.interface';

/**
 * Messages a replica (and a tenant) may hold claimed per send slot: one sending and one ready, so
 * a slot that frees starts the next send at once instead of waiting for a claim and its recipient
 * plans (bench/README.md, "A ready message for every send slot"). Each lease is a claimed message.
 */
export const CLAIMS_PER_SEND_SLOT = 2;

interface Waiter {
  tenantId: string;
  transport: MailTransport;
  grant: (started: boolean) => void;
  timer: NodeJS.Timeout;
}

/**
 * Sends in flight, bounded three ways at once: the replica's (DISPATCH_CONCURRENCY), each
 * tenant's (DISPATCH_TENANT_CONCURRENCY) and each adapter's (`maxConcurrency`, its pool). The
 * dispatcher claims more than it may send (a ready message for every slot, so a connection that
 * finishes a send starts the next without waiting for a claim); the claimed messages wait here,
 * not inside an adapter (nodemailer's pool queue cannot give a message back), so one that has not
 * started by its deadline is withdrawn before anything reached the server.
 */
export class SendSlots {
  private replicaBusy = 0;
  private readonly tenantBusy = new Map<string, number>();
  private readonly transportBusy = new WeakMap<MailTransport, number>();
  /** In arrival order; a waiter that does not fit never blocks one behind it that does. */
  private waiting: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly replicaLimit: number,
    private readonly tenantLimit: number,
  ) {}

  /**
   * Resolves true with a slot (give it back with `release`), or false when `deadline` passed
   * first or the slots were closed (shutdown).
   */
  acquire(tenantId: string, transport: MailTransport, deadline: number): Promise<boolean> {
    if (this.closed) {
      return Promise.resolve(false);
    }
    if (this.fits(tenantId, transport)) {
      this.take(tenantId, transport);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        tenantId,
        transport,
        grant: (started) => {
          clearTimeout(waiter.timer);
          resolve(started);
        },
        timer: setTimeout(
          () => {
            this.waiting = this.waiting.filter((w) => w !== waiter);
            resolve(false);
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      this.waiting.push(waiter);
    });
  }

  release(tenantId: string, transport: MailTransport): void {
    this.replicaBusy = Math.max(0, this.replicaBusy - 1);
    const tenant = (this.tenantBusy.get(tenantId) ?? 1) - 1;
    if (tenant <= 0) {
      this.tenantBusy.delete(tenantId);
    } else {
      this.tenantBusy.set(tenantId, tenant);
    }
    this.transportBusy.set(transport, Math.max(0, (this.transportBusy.get(transport) ?? 1) - 1));
    this.grantWaiters();
  }

  /** Shutdown: every waiting send, and any asking later, is withdrawn; none of them has started. */
  close(): void {
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = [];
    for (const waiter of waiting) {
      waiter.grant(false);
    }
  }

  private fits(tenantId: string, transport: MailTransport): boolean {
    return (
      this.replicaBusy < this.replicaLimit &&
      (this.tenantBusy.get(tenantId) ?? 0) < this.tenantLimit &&
      (this.transportBusy.get(transport) ?? 0) < Math.max(1, transport.maxConcurrency)
    );
  }

  private take(tenantId: string, transport: MailTransport): void {
    this.replicaBusy += 1;
    this.tenantBusy.set(tenantId, (this.tenantBusy.get(tenantId) ?? 0) + 1);
    this.transportBusy.set(transport, (this.transportBusy.get(transport) ?? 0) + 1);
  }

  /** The oldest waiters that fit now, in order; stops at once when the replica is full. */
  private grantWaiters(): void {
    if (this.waiting.length === 0) {
      return;
    }
    const still: Waiter[] = [];
    const granted: Waiter[] = [];
    for (const [i, waiter] of this.waiting.entries()) {
      if (this.replicaBusy >= this.replicaLimit) {
        still.push(...this.waiting.slice(i));
        break;
      }
      if (this.fits(waiter.tenantId, waiter.transport)) {
        this.take(waiter.tenantId, waiter.transport);
        granted.push(waiter);
      } else {
        still.push(waiter);
      }
    }
    this.waiting = still;
    for (const waiter of granted) {
      waiter.grant(true);
    }
  }
}
