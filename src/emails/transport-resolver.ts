import { Injectable } from '@nestjs/common';
import { ProviderConfigReader } from '../provider-config/provider-config.reader';
import type { MailTransport } from '../transports/mail-transport.interface';
import { TransportFactory } from '../transports/transport.factory';

export interface Route {
  transport: MailTransport;
  /** Set when the built-in mailer sends instead of the tenant's provider, and why. */
  fallbackReason: string | null;
  /** The provider may be abandoned for the built-in mailer after auth errors or exhausted retries. */
  fallbackOnFailure: boolean;
}

/** How long a tenant's provider config is reused before it is read again: changes apply within it. */
export const CONFIG_CACHE_MS = 1_000;

type Active = Awaited<ReturnType<ProviderConfigReader['getActive']>>;

/** Picks the transport for a tenant's next message: its enabled provider, else the built-in mailer. */
@Injectable()
export class TransportResolver {
  private readonly cache = new Map<string, { at: number; active: Promise<Active> }>();

  constructor(
    private readonly configs: ProviderConfigReader,
    private readonly factory: TransportFactory,
  ) {}

  builtin(): MailTransport {
    return this.factory.builtin();
  }

  async resolve(tenantId: string): Promise<Route> {
    const now = Date.now();
    let entry = this.cache.get(tenantId);
    if (entry === undefined || now - entry.at > CONFIG_CACHE_MS) {
      entry = { at: now, active: this.configs.getActive(tenantId) };
      this.cache.set(tenantId, entry);
      // A failed read must not stick for the whole window.
      entry.active.catch(() => this.cache.delete(tenantId));
    }
    const active = await entry.active;
    if (active === null) {
      return {
        transport: this.factory.builtin(),
        fallbackReason: 'no provider configured',
        fallbackOnFailure: false,
      };
    }
    if (!active.enabled || active.config === null) {
      return {
        transport: this.factory.builtin(),
        fallbackReason: 'provider disabled',
        fallbackOnFailure: false,
      };
    }
    return {
      transport: this.factory.forTenant(tenantId, active.version, active.config),
      fallbackReason: null,
      fallbackOnFailure: active.fallbackOnFailure,
    };
  }
}
