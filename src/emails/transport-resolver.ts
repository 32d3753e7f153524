import { Injectable } from '@nestjs/common';
import { ProviderConfigReader } from '../provider-config/provider-config.reader';
import type { ProviderType } from '../provider-config/provider-type.enum';
import type { SendRateLimit } from '../provider-config/send-rate-limit';
import type { MailTransport } from '../transports/mail-transport.interface';
import { TransportFactory } from '../transports/transport.factory';
import type { FallbackReason } from './fallback-reason';

export interface Route {
  transport: MailTransport;
  /** Set when the built-in mailer sends instead of the tenant's provider, and why. */
  fallbackReason: FallbackReason | null;
  /** The provider may be abandoned for the built-in mailer after auth errors or exhausted retries. */
  fallbackOnFailure: boolean;
  /** The provider config version this route was read from (null: the tenant never saved one). */
  configVersion: number | null;
  /** The tenant's provider type when it sends (the circuit breaker's key); null for the built-in mailer. */
  providerType: ProviderType | null;
  /** The tenant's send rate (null: unlimited), whichever transport sends. */
  rateLimit: SendRateLimit | null;
}

type Active = Awaited<ReturnType<ProviderConfigReader['getActive']>>;

interface CachedConfig {
  /** At least this version (0: none saved) is what `active` resolves to. */
  version: number;
  active: Promise<Active>;
}

/**
 * Picks the transport for a tenant's next message: its enabled provider, else the built-in
 * mailer. Read-your-writes without a time window: the claim statement tells which config version
 * is current, and a cached config older than that is read again (versions only grow).
 */
@Injectable()
export class TransportResolver {
  private readonly cache = new Map<string, CachedConfig>();

  constructor(
    private readonly configs: ProviderConfigReader,
    private readonly factory: TransportFactory,
  ) {}

  builtin(): MailTransport {
    return this.factory.builtin();
  }

  /** The route for a message claimed when the tenant's config was at `minVersion` (0: none). */
  async resolve(tenantId: string, minVersion: number): Promise<Route> {
    let entry = this.cache.get(tenantId);
    if (entry === undefined || entry.version < minVersion) {
      const loading: CachedConfig = {
        version: minVersion,
        active: this.configs.getActive(tenantId),
      };
      entry = loading;
      this.cache.set(tenantId, loading);
      loading.active.then(
        // The read may have seen a newer version than asked for: later claims reuse it.
        (active) => (loading.version = Math.max(loading.version, active?.version ?? 0)),
        // A failed read must not stick: the next message reads again.
        () => {
          if (this.cache.get(tenantId) === loading) {
            this.cache.delete(tenantId);
          }
        },
      );
    }
    const active = await entry.active;
    if (active === null || !active.enabled || active.config === null) {
      // The provider's pool is no longer needed (disabled, or the tenant has none).
      void this.factory.release(tenantId).catch(() => undefined);
      return {
        transport: this.factory.builtin(),
        fallbackReason: { kind: active === null ? 'no_provider' : 'provider_disabled' },
        fallbackOnFailure: false,
        configVersion: active?.version ?? null,
        providerType: null,
        rateLimit: active?.rateLimit ?? null,
      };
    }
    return {
      transport: this.factory.forTenant(tenantId, active.version, active.config),
      fallbackReason: null,
      fallbackOnFailure: active.fallbackOnFailure,
      configVersion: active.version,
      providerType: active.config.type,
      rateLimit: active.rateLimit,
    };
  }
}
