import type { AppEnv } from '../config/env';
import type { MailTransport } from './mail-transport.interface';
import type { ProviderConcurrency, ProviderConcurrencySettings } from './provider-concurrency';
import type { SmtpPresetTable } from './smtp/smtp-preset';
import type { SmtpTuning } from './smtp/smtp.transport';

/** What the factory lends an adapter to build a tenant's transport. */
export interface AdapterContext {
  env: AppEnv;
  /** Fixed SMTP services' settings (TransportFactoryOptions may point them at loopback in tests). */
  presets: SmtpPresetTable;
  /** The factory's SMTP tuning (TLS trust, timeouts), under the tenant's concurrency settings. */
  smtpTuning: SmtpTuning;
  sendGridTimeoutMs?: number;
  /** The tenant's concurrency settings; absent fields take the adapter's defaults. */
  concurrency: ProviderConcurrencySettings;
}

/** One provider type's transport: its own option type, its pool defaults and how it is built. */
export interface ProviderAdapter<Options> {
  /** Pool size and messages per connection when the tenant sets none (README, "Concurrency per provider"). */
  defaults: Readonly<ProviderConcurrency>;
  /** Throws a `config` DeliveryError when the options cannot make a transport. */
  create(options: Options, context: AdapterContext): MailTransport;
}

/** The pool of an SMTP provider: the tenant's settings, else the factory's tuning, else the type's defaults. */
export function smtpPoolTuning(
  context: AdapterContext,
  defaults: Readonly<ProviderConcurrency>,
): SmtpTuning {
  const { smtpTuning, concurrency } = context;
  return {
    ...smtpTuning,
    maxConnections:
      concurrency.maxConnections ?? smtpTuning.maxConnections ?? defaults.maxConnections,
    maxMessages:
      concurrency.maxMessagesPerConnection ??
      smtpTuning.maxMessages ??
      defaults.maxMessagesPerConnection ??
      undefined,
  };
}
