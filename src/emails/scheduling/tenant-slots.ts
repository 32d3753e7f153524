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

/** Capacities remembered for at most this many tenants; the rest fall back to the cap. */
const MAX_REMEMBERED = 10_000;

/**
 * Per-replica fair share of claims: the messages a tenant holds claimed never exceed its claim
 * share (twice DISPATCH_TENANT_CONCURRENCY: a ready message for every send slot, SendSlots bounding
 * the sends themselves), nor what the tenant's transport can start before a lease ends (three
 * times its concurrency: one send in progress and two ready per connection, so a connection never
 * waits on a claim), and claims serve tenants in turn (a cursor).
 */
export class TenantSlots {
  private readonly inflight = new Map<string, number>();
  private readonly capacity = new Map<string, number>();
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
    for (const [tenantId, capacity] of this.capacity) {
      if (!seen.has(tenantId) && capacity < this.claimShare) {
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

  /** What the tenant's current transport can start within a lease. */
  learned(tenantId: string, transportConcurrency: number): void {
    if (this.capacity.size >= MAX_REMEMBERED && !this.capacity.has(tenantId)) {
      this.capacity.clear();
    }
    this.capacity.set(tenantId, Math.max(1, transportConcurrency * 3));
  }

  private capacityOf(tenantId: string): number {
    return Math.min(this.claimShare, this.capacity.get(tenantId) ?? this.claimShare);
  }
}
