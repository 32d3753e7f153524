import type { MailTransport } from '../../transports/mail-transport.interface';

/** What the claim statement may take per tenant (see EmailDispatchRepository.claim). */
export interface TenantClaimLimits {
  /** Tenants with their own limit (some slots in use, or a small transport). */
  tenantIds: string[];
  limits: number[];
  /** For every other tenant. */
  otherwise: number;
  /** Where the round-robin walk over tenants starts (exclusive); '' from the first. */
  cursor: string;
}

/** What the claim share needs of a transport: how many sends it runs at once (its pool). */
type Pool = Pick<MailTransport, 'maxConcurrency'>;

/** Transports remembered for at most this many tenants; the rest fall back to the claim share. */
const MAX_REMEMBERED = 10_000;
/**
 * How much of its own send time a connection keeps ready: enough to span the claim that refills it
 * and that claim's recipient plans (two round trips, 5-10 ms under load), so a fast provider's
 * connection does not idle between claims (bench/README.md, "Claims sized by send time").
 */
const READY_MS_PER_CONNECTION = 50;
/** Ready messages per connection before any send time is known, and at least (one in progress). */
const MIN_READY_PER_CONNECTION = 2;
/** Weight of the newest send in a transport's running average of its send time. */
const SEND_TIME_WEIGHT = 0.2;

/**
 * Per-replica fair share of claims: the messages a tenant holds claimed never exceed its claim
 * share (twice DISPATCH_TENANT_CONCURRENCY: a ready message for every send slot, SendSlots bounding
 * the sends themselves), nor what the tenant's transport starts in a small part of a lease: per
 * connection one send in progress and as many ready as it sends in READY_MS_PER_CONNECTION (at
 * least two), so a connection never waits on a claim and a slow provider gets three per
 * connection. Claims serve tenants in turn (a cursor).
 */
export class TenantSlots {
  private readonly inflight = new Map<string, number>();
  /** Each tenant's current transport. */
  private readonly transports = new Map<string, Pool>();
  /** Running average of a send's time through a transport, in ms (none until one finished). */
  private readonly sendMs = new WeakMap<Pool, number>();
  private cursor = '';

  constructor(private readonly claimShare: number) {}

  limits(): TenantClaimLimits {
    const tenantIds: string[] = [];
    const limits: number[] = [];
    const seen = new Set<string>();
    for (const [tenantId, busy] of this.inflight) {
      seen.add(tenantId);
      tenantIds.push(tenantId);
      limits.push(Math.max(0, this.capacityOf(tenantId) - busy));
    }
    for (const tenantId of this.transports.keys()) {
      if (seen.has(tenantId)) {
        continue;
      }
      const capacity = this.capacityOf(tenantId);
      if (capacity < this.claimShare) {
        tenantIds.push(tenantId);
        limits.push(capacity);
      }
    }
    return { tenantIds, limits, otherwise: this.claimShare, cursor: this.cursor };
  }

  /** Records claimed messages; the last tenant served is where the next walk starts after. */
  claimed(tenantIds: string[], lastServed: string | undefined): void {
    for (const tenantId of tenantIds) {
      this.inflight.set(tenantId, (this.inflight.get(tenantId) ?? 0) + 1);
    }
    if (lastServed !== undefined) {
      this.cursor = lastServed;
    }
  }

  /**
   * Records a finished send. True when a claim is worth making for this tenant: half its slots
   * are free, so one claim refills several at once while the other half keeps its connections
   * busy (a claim per finished send costs a statement per message).
   */
  finished(tenantId: string): boolean {
    const busy = (this.inflight.get(tenantId) ?? 1) - 1;
    if (busy <= 0) {
      this.inflight.delete(tenantId);
    } else {
      this.inflight.set(tenantId, busy);
    }
    return busy <= Math.floor(this.capacityOf(tenantId) / 2);
  }

  /** The tenant's current transport (its pool: `maxConcurrency`). */
  learned(tenantId: string, transport: Pool): void {
    if (this.transports.size >= MAX_REMEMBERED && !this.transports.has(tenantId)) {
      this.transports.clear();
    }
    this.transports.set(tenantId, transport);
  }

  /** A send through `transport` finished after `ms` (sent or failed). */
  sendTook(transport: Pool, ms: number): void {
    const last = Math.max(0, ms);
    const average = this.sendMs.get(transport);
    this.sendMs.set(
      transport,
      average === undefined ? last : average + SEND_TIME_WEIGHT * (last - average),
    );
  }

  private capacityOf(tenantId: string): number {
    const transport = this.transports.get(tenantId);
    if (transport === undefined) {
      return this.claimShare;
    }
    const sendMs = this.sendMs.get(transport);
    const ready = Math.max(
      MIN_READY_PER_CONNECTION,
      sendMs === undefined ? 0 : Math.ceil(READY_MS_PER_CONNECTION / Math.max(sendMs, 1)),
    );
    return Math.min(this.claimShare, Math.max(1, transport.maxConcurrency) * (1 + ready));
  }
}
