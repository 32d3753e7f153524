import type { EgressPolicy } from '../../common/egress';
import type { SmtpPlaintextAuth } from '../../config/env';
import type { SmtpConfig } from '../../provider-config/provider-config.types';
import { providerTransportName } from '../transports.constants';
import type { SmtpTransportOptions, SmtpTuning } from './smtp.transport';

/**
 * A tenant's own SMTP server (`type: 'custom'`): `sender` is the login and the default From.
 * Without an explicit `secure`, port 465 means implicit TLS (RFC 8314 §3.3): plaintext there would
 * only stall until the greeting timeout; any other port upgrades with STARTTLS when offered.
 */
export function customSmtpTransportOptions(
  config: SmtpConfig,
  egress: EgressPolicy,
  tuning: SmtpTuning = {},
  plaintextAuth: SmtpPlaintextAuth = 'loopback',
): SmtpTransportOptions {
  const port = Number(config.smtp_port);
  return {
    ...tuning,
    name: providerTransportName('custom'),
    host: config.smtp_host,
    port,
    secure: config.secure ?? port === 465,
    auth: config.sender ? { user: config.sender, pass: config.senderPass } : undefined,
    defaultFrom: config.sender ? { email: config.sender } : undefined,
    // The tenant chose this host: it goes through the egress policy (the presets' hosts are fixed).
    egress,
    plaintextAuth,
  };
}
