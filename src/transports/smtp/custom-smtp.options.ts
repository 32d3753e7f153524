import { normalizeAddress } from '../../common/addresses';
import type { EgressPolicy } from '../../common/egress';
import type { SmtpPlaintextAuth } from '../../config/env';
import { smtpPoolTuning, type ProviderAdapter } from '../provider-adapter';
import type { ProviderConcurrency } from '../provider-concurrency';
import { providerTransportName } from '../transports.constants';
import { SmtpTransport, type SmtpTransportOptions, type SmtpTuning } from './smtp.transport';

/** A tenant's own SMTP server. */
export interface CustomSmtpSettings {
  host: string;
  port: number;
  /** SMTP login (absent or empty: no AUTH); the default From only when it is an address. */
  login?: string;
  password: string;
  /** Implicit TLS; absent: port 465 means implicit TLS, any other port STARTTLS when offered. */
  secure?: boolean;
}

/** The login as a From address, when it is one. */
export function loginAsFrom(sender: string | undefined): { email: string } | undefined {
  const address = sender ? normalizeAddress(sender.trim()) : undefined;
  return address?.ok ? { email: address.email } : undefined;
}

/**
 * A tenant's own SMTP server (`type: 'custom'`): the login is also the default From.
 * Without an explicit `secure`, port 465 means implicit TLS (RFC 8314 §3.3): plaintext there would
 * only stall until the greeting timeout; any other port upgrades with STARTTLS when offered.
 */
export function customSmtpTransportOptions(
  config: CustomSmtpSettings,
  egress: EgressPolicy,
  tuning: SmtpTuning = {},
  plaintextAuth: SmtpPlaintextAuth = 'loopback',
): SmtpTransportOptions {
  const port = Number(config.port);
  return {
    ...tuning,
    name: providerTransportName('custom'),
    host: config.host,
    port,
    secure: config.secure ?? port === 465,
    // No login (absent or empty): no AUTH at all, as for an internal relay that trusts its clients.
    auth: config.login ? { user: config.login, pass: config.password } : undefined,
    // The login is the default From only when it is an address (`apikey`, an access key id… are not).
    defaultFrom: loginAsFrom(config.login),
    // The tenant chose this host: it goes through the egress policy (the presets' hosts are fixed).
    egress,
    plaintextAuth,
  };
}

const CUSTOM_SMTP_DEFAULTS: Readonly<ProviderConcurrency> = {
  maxConnections: 3,
  maxMessagesPerConnection: 100,
};

/** `type: 'custom'`: the tenant's SMTP server, through the egress policy and the plaintext-AUTH rule. */
export const CUSTOM_SMTP_ADAPTER: ProviderAdapter<CustomSmtpSettings> = {
  defaults: CUSTOM_SMTP_DEFAULTS,
  create: (settings, context) =>
    new SmtpTransport(
      customSmtpTransportOptions(
        settings,
        context.env.egress,
        smtpPoolTuning(context, CUSTOM_SMTP_DEFAULTS),
        context.env.smtp.allowPlaintextAuth,
      ),
    ),
};
