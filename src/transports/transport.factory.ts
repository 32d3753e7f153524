import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { APP_ENV } from '../config/app-env.constants';
import type { AppEnv } from '../config/env';
import { createBuiltinTransport } from './builtin/builtin-mailer';
import type { MailTransport } from './mail-transport.interface';
import type { ProviderAdapter } from './provider-adapter';
import { PROVIDER_ADAPTERS, type ProviderTransportConfig } from './provider-adapters';
import { DEFAULT_SMTP_PRESETS } from './smtp-presets';
import type { SmtpPresetTable } from './smtp/smtp-preset';
import type { SmtpTuning } from './smtp/smtp.transport';
import { TRANSPORT_FACTORY_OPTIONS } from './transports.constants';

/** Optional overrides, provided under TRANSPORT_FACTORY_OPTIONS. Production leaves it empty. */
export interface TransportFactoryOptions {
  /** Replaces preset entries, e.g. `{ ali: { host: '127.0.0.1', port, secure: true, tls: { ca } } }`. */
  smtpPresets?: Partial<SmtpPresetTable>;
  /** Applied to every SMTP adapter this factory builds (built-in mailer included). */
  smtp?: SmtpTuning;
  /** HTTP timeout of SendGrid adapters. */
  sendGridTimeoutMs?: number;
}

interface CachedTransport {
  version: number;
  transport: MailTransport;
}

/**
 * Turns a provider configuration into its adapter (strategy factory) and keeps one adapter per
 * tenant for the current config version: reused while unchanged, replaced and closed on change,
 * all closed at shutdown.
 */
@Injectable()
export class TransportFactory implements OnApplicationShutdown {
  private readonly logger = new Logger(TransportFactory.name);
  private readonly presets: SmtpPresetTable;
  private readonly smtpTuning: SmtpTuning;
  private readonly sendGridTimeoutMs?: number;
  private readonly tenants = new Map<string, CachedTransport>();
  private builtinTransport?: MailTransport;

  constructor(
    @Inject(APP_ENV) private readonly env: AppEnv,
    @Optional() @Inject(TRANSPORT_FACTORY_OPTIONS) options: TransportFactoryOptions | null = null,
  ) {
    this.presets = { ...DEFAULT_SMTP_PRESETS, ...options?.smtpPresets };
    this.smtpTuning = options?.smtp ?? {};
    this.sendGridTimeoutMs = options?.sendGridTimeoutMs;
  }

  /**
   * A new, uncached adapter for `config` (verify or test-send of a config that may not be saved).
   * The caller closes it. Throws a `config` DeliveryError when the config cannot make an adapter.
   */
  create(config: ProviderTransportConfig): MailTransport {
    // PROVIDER_ADAPTERS has one adapter per type; TypeScript cannot pair a union's type and options.
    const adapter = PROVIDER_ADAPTERS[config.type] as
      ProviderAdapter<typeof config.options> | undefined;
    if (adapter === undefined) {
      // Only reachable from untyped input: the table covers every type at compile time.
      throw new Error(`Unhandled provider type: ${JSON.stringify(config)}`);
    }
    return adapter.create(config.options, {
      env: this.env,
      presets: this.presets,
      smtpTuning: this.smtpTuning,
      sendGridTimeoutMs: this.sendGridTimeoutMs,
      concurrency: config.concurrency ?? {},
    });
  }

  /** The tenant's adapter for config `version`; a different version replaces (and closes) the cached one. */
  forTenant(tenantId: string, version: number, config: ProviderTransportConfig): MailTransport {
    const cached = this.tenants.get(tenantId);
    if (cached !== undefined && cached.version === version) {
      return cached.transport;
    }
    const transport = this.create(config);
    this.tenants.set(tenantId, { version, transport });
    if (cached !== undefined) {
      this.closeQuietly(cached.transport);
    }
    return transport;
  }

  /** Drops and closes a tenant's cached adapter (provider disabled or removed). */
  async release(tenantId: string): Promise<void> {
    const cached = this.tenants.get(tenantId);
    this.tenants.delete(tenantId);
    await cached?.transport.close();
  }

  /** The built-in mailer from BUILTIN_MAILER_URL / BUILTIN_MAIL_FROM, built once. */
  builtin(): MailTransport {
    this.builtinTransport ??= createBuiltinTransport(this.env, this.smtpTuning);
    return this.builtinTransport;
  }

  /**
   * Closes every cached adapter at once: the dispatcher's drain (onModuleDestroy, which Nest runs
   * before this hook) already gave in-flight sends their bounded time and released their leases,
   * so a send still hanging now (a stalled relay) must not hold the exit up to the socket timeout.
   */
  async onApplicationShutdown(): Promise<void> {
    const transports = [...this.tenants.values()].map((entry) => entry.transport);
    if (this.builtinTransport !== undefined) {
      transports.push(this.builtinTransport);
    }
    this.tenants.clear();
    this.builtinTransport = undefined;
    const results = await Promise.allSettled(transports.map((transport) => transport.close(0)));
    const failed = results.filter((result) => result.status === 'rejected').length;
    if (failed > 0) {
      this.logger.warn(`${failed} transport(s) failed to close cleanly at shutdown`);
    }
  }

  private closeQuietly(transport: MailTransport): void {
    transport.close().catch(() => {
      this.logger.warn(`Replaced transport ${transport.name} failed to close cleanly`);
    });
  }
}
