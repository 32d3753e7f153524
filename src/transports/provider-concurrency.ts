import { PROVIDER_ADAPTERS } from './provider-adapters';
import { PROVIDER_TYPES, type ProviderType } from './provider-type.enum';

/**
 * How many messages one replica sends to a tenant's provider at once: the SMTP pool size (and how
 * many messages each pooled connection carries before it is replaced), or the number of SendGrid
 * requests in flight over the keep-alive agent (one per socket). A bounded mailgate extension of
 * the provider config (`concurrency`); each field left out takes the provider type's default.
 */
export interface ProviderConcurrency {
  /** SMTP connections in the pool, or SendGrid sockets (= requests in flight). */
  maxConnections: number;
  /** Messages per SMTP connection before it is closed and a new one opened; null for SendGrid. */
  maxMessagesPerConnection: number | null;
}

/** What a tenant may set; absent (or null) fields take the type's default. */
export interface ProviderConcurrencySettings {
  maxConnections?: number | null;
  maxMessagesPerConnection?: number | null;
}

/**
 * Bounds of the extension: enough for one replica to keep a distant provider busy (64 in flight
 * at 100 ms is 640 msg/s), small enough that one tenant cannot open sockets without limit.
 */
export const CONCURRENCY_LIMITS = {
  maxConnections: { min: 1, max: 128 },
  maxMessagesPerConnection: { min: 1, max: 1000 },
} as const;

/**
 * Defaults per provider type, each adapter's own, from what the providers publish (README,
 * "Concurrency per provider"): Alibaba and Tencent enterprise mail publish no connection limit but throttle
 * senders per minute, hour and day (Tencent: 500 messages a day to strangers on the free
 * edition, from 1,500 on paid ones), so a small pool is all a mailbox can use; SendGrid publishes
 * no concurrency limit for mail/send and counts volume per plan, so more requests may be in flight.
 */
export const DEFAULT_CONCURRENCY: Readonly<Record<ProviderType, Readonly<ProviderConcurrency>>> =
  Object.fromEntries(
    PROVIDER_TYPES.map((type) => [type, PROVIDER_ADAPTERS[type].defaults]),
  ) as Record<ProviderType, Readonly<ProviderConcurrency>>;

/** The settings that apply to a provider of `type`: the tenant's, else the type's defaults. */
export function effectiveConcurrency(
  type: ProviderType,
  settings: ProviderConcurrencySettings | null | undefined,
): ProviderConcurrency {
  const defaults = DEFAULT_CONCURRENCY[type];
  return {
    maxConnections: settings?.maxConnections ?? defaults.maxConnections,
    // SendGrid sends each message as its own HTTP request: there is no session to recycle.
    maxMessagesPerConnection:
      defaults.maxMessagesPerConnection === null
        ? null
        : (settings?.maxMessagesPerConnection ?? defaults.maxMessagesPerConnection),
  };
}

/**
 * The settings worth storing: only values that differ from the type's defaults, so a config read
 * and posted back unchanged (its answer shows the defaults) is no change, and later default
 * changes reach tenants who never chose a value.
 */
export function storedConcurrency(
  type: ProviderType,
  settings: ProviderConcurrencySettings | null | undefined,
): ProviderConcurrencySettings {
  const defaults = DEFAULT_CONCURRENCY[type];
  const out: ProviderConcurrencySettings = {};
  const connections = settings?.maxConnections;
  if (
    connections !== undefined &&
    connections !== null &&
    connections !== defaults.maxConnections
  ) {
    out.maxConnections = connections;
  }
  const messages = settings?.maxMessagesPerConnection;
  if (
    defaults.maxMessagesPerConnection !== null &&
    messages !== undefined &&
    messages !== null &&
    messages !== defaults.maxMessagesPerConnection
  ) {
    out.maxMessagesPerConnection = messages;
  }
  return out;
}
