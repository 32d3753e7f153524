import { Injectable } from '@nestjs/common';
import { ApiCode } from '../common/api-code.enum';
import { AppException, ValidationException } from '../common/app.exception';
import type { EmailProviderDto } from '../provider-config/dto/email-provider.dto';
import { ProviderConfigService } from '../provider-config/provider-config.service';
import type { Principal } from '../tenancy/principal';
import {
  MINUTE_ROLLUP_SETTLE_MS,
  ROLLUP_SETTLE_MS,
  STATS_OUTCOMES,
  STATS_WINDOWS,
  type StatsWindow,
} from './stats.constants';
import {
  StatsRepository,
  type BucketRow,
  type ErrorCodeRow,
  type LatencyRow,
  type OutcomeCounts,
  type TenantOverviewRow,
} from './stats.repository';

export interface StatsBucket extends OutcomeCounts {
  /** Start of the bucket (ISO 8601). */
  at: string;
}

export interface StatsView {
  window: StatsWindow;
  bucketSeconds: number;
  from: string;
  to: string;
  series: StatsBucket[];
  totals: OutcomeCounts;
  queue: { queued: number; sending: number; oldestQueuedAgeSeconds: number | null };
  latency: LatencyRow;
  provider: {
    type: EmailProviderDto['type'];
    enabled: boolean;
    version: number;
    health: EmailProviderDto['health'];
    lastVerifiedAt: string | null;
    lastVerifyError: EmailProviderDto['lastVerifyError'];
  } | null;
  topErrors: ErrorCodeRow[];
}

export interface TenantOverview {
  tenantId: string;
  queued: number;
  oldestQueuedAgeSeconds: number | null;
  sentLastHour: number;
  failedLastHour: number;
  bouncedLastHour: number;
  circuit: TenantOverviewRow['circuit'];
}

const HOUR_MS = 60 * 60_000;

function zero(): OutcomeCounts {
  return { sent: 0, deferred: 0, failed: 0, bounced: 0 };
}

function ageSeconds(since: Date | null, now: Date): number | null {
  return since === null ? null : Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
}

/** Floors `t` to a multiple of `stepMs` since the epoch (minutes, hours: UTC-aligned buckets). */
function floorTo(t: number, stepMs: number): number {
  return Math.floor(t / stepMs) * stepMs;
}

/** What the console's overview shows: is mail flowing, and if not, why. */
@Injectable()
export class StatsService {
  constructor(
    private readonly repo: StatsRepository,
    private readonly providers: ProviderConfigService,
  ) {}

  /** Validates the query: `window` is 1h (default) or 24h; nothing else is known. */
  parseQuery(query: Record<string, string | undefined>): StatsWindow {
    const errors = Object.keys(query)
      .filter((name) => name !== 'window')
      .map((field) => ({ field, messages: ['is not a known query parameter'] }));
    const window = query.window ?? '1h';
    if (!Object.hasOwn(STATS_WINDOWS, window)) {
      errors.push({ field: 'window', messages: ['must be one of 1h, 24h'] });
    }
    if (errors.length > 0) {
      throw new ValidationException(errors);
    }
    return window as StatsWindow;
  }

  async overview(principal: Principal, window: StatsWindow, now = new Date()): Promise<StatsView> {
    const { spanMs, bucketMs } = STATS_WINDOWS[window];
    const tenantId = principal.tenantId;
    // Buckets aligned on whole minutes (hours): the last one is the current, partial one.
    const end = floorTo(now.getTime(), bucketMs) + bucketMs;
    const from = new Date(end - spanMs);
    const lastHour = new Date(now.getTime() - HOUR_MS);
    const [rows, queue, latency, topErrors, provider] = await Promise.all([
      this.series(tenantId, window, from, now),
      this.repo.queue(tenantId),
      this.repo.latency(tenantId, from),
      this.repo.topErrors(tenantId, lastHour),
      this.providers.get(tenantId),
    ]);
    const byStart = new Map(rows.map((r) => [new Date(r.at).getTime(), r]));
    const series: StatsBucket[] = [];
    const totals = zero();
    for (let at = from.getTime(); at < end; at += bucketMs) {
      const row = byStart.get(at);
      const bucket: StatsBucket = { at: new Date(at).toISOString(), ...zero() };
      for (const outcome of STATS_OUTCOMES) {
        bucket[outcome] = row === undefined ? 0 : Number(row[outcome]);
        totals[outcome] += bucket[outcome];
      }
      series.push(bucket);
    }
    return {
      window,
      bucketSeconds: bucketMs / 1000,
      from: from.toISOString(),
      to: now.toISOString(),
      series,
      totals,
      queue: {
        queued: queue.queued,
        sending: queue.sending,
        oldestQueuedAgeSeconds: ageSeconds(queue.oldestQueuedAt, now),
      },
      latency,
      provider:
        provider === null
          ? null
          : {
              type: provider.type,
              enabled: provider.enabled,
              version: provider.version,
              health: provider.health,
              lastVerifiedAt: provider.lastVerifiedAt,
              lastVerifyError: provider.lastVerifyError,
            },
      topErrors,
    };
  }

  /** Every tenant's backlog and last hour, those in trouble first (root only). */
  async tenants(principal: Principal, now = new Date()): Promise<TenantOverview[]> {
    if (!principal.root) {
      throw new AppException(ApiCode.MissingScope, 'Only the root key sees every tenant');
    }
    const rows = await this.repo.tenants(new Date(now.getTime() - HOUR_MS));
    const list = rows.map((r) => ({
      tenantId: r.tenantId,
      queued: r.queued,
      oldestQueuedAgeSeconds: ageSeconds(r.oldestQueuedAt, now),
      sentLastHour: r.sentLastHour,
      failedLastHour: r.failedLastHour,
      bouncedLastHour: r.bouncedLastHour,
      circuit: r.circuit,
    }));
    // Trouble first: an open circuit, failures and bounces of the last hour, the oldest backlog, volume.
    const blocked = (t: TenantOverview): number =>
      t.circuit === null || t.circuit === 'closed' ? 0 : 1;
    return list.sort(
      (a, b) =>
        blocked(b) - blocked(a) ||
        b.failedLastHour + b.bouncedLastHour - (a.failedLastHour + a.bouncedLastHour) ||
        (b.oldestQueuedAgeSeconds ?? -1) - (a.oldestQueuedAgeSeconds ?? -1) ||
        b.queued - a.queued ||
        a.tenantId.localeCompare(b.tenantId),
    );
  }

  /**
   * Complete buckets that ended more than the settle time ago come from a rollup (minutes for
   * 1h, hours for 24h); the rest, live from the events.
   */
  private async series(
    tenantId: string,
    window: StatsWindow,
    from: Date,
    now: Date,
  ): Promise<BucketRow[]> {
    const { bucketMs } = STATS_WINDOWS[window];
    const end = new Date(floorTo(now.getTime(), bucketMs) + bucketMs);
    const unit = window === '1h' ? 'minute' : 'hour';
    const settleMs = window === '1h' ? MINUTE_ROLLUP_SETTLE_MS : ROLLUP_SETTLE_MS;
    const settled = new Date(Math.max(from.getTime(), floorTo(now.getTime() - settleMs, bucketMs)));
    const [done, live] = await Promise.all([
      this.repo.rolledUp(tenantId, unit, from, settled),
      this.repo.buckets(tenantId, settled, end, bucketMs),
    ]);
    return [...done, ...live];
  }
}
