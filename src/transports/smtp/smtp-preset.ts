import { normalizeAddress } from '../../common/addresses';
import type { ProviderConcurrency } from '../provider-concurrency';
import type { SmtpTransportOptions, SmtpTuning } from './smtp.transport';

/** Fixed connection settings of a hosted SMTP service. */
export interface SmtpPreset {
  host: string;
  port: number;
  /** Implicit TLS. */
  secure: boolean;
  /** Extra trust for this preset only; tests use it to reach a loopback server with a test CA. */
  tls?: SmtpTuning['tls'];
}

/** A mailbox of a hosted enterprise mail service: the login, the default From and the only From. */
export interface MailboxLogin {
  mailbox: string;
  password: string;
}

/** One preset per provider type that is SMTP with fixed settings. */
export interface SmtpPresetTable {
  ali: SmtpPreset;
  qq: SmtpPreset;
}

/**
 * Enterprise mail services log in with the mailbox and refuse any other From, so the mailbox is
 * the login, the default From and the only From accepted (checked before connecting).
 */
export function exmailTransportOptions(
  name: string,
  preset: SmtpPreset,
  config: MailboxLogin,
  tuning: SmtpTuning = {},
): SmtpTransportOptions {
  // Saved configs were checked by the address module; the domain goes out in ASCII.
  const mailbox = normalizeAddress(config.mailbox.trim());
  const address = mailbox.ok ? mailbox.email : config.mailbox;
  return {
    ...tuning,
    name,
    host: preset.host,
    port: preset.port,
    secure: preset.secure,
    tls: preset.tls ?? tuning.tls,
    auth: { user: config.mailbox, pass: config.password },
    defaultFrom: { email: address },
    requiredFrom: address,
  };
}

/** Alibaba and Tencent publish no connection limit but throttle per mailbox: a small pool is all one can use. */
export const EXMAIL_DEFAULTS: Readonly<ProviderConcurrency> = {
  maxConnections: 3,
  maxMessagesPerConnection: 100,
};
