import type { ProviderTransportConfig } from '../transports/provider-adapters';
import type { AnyProviderDescriptor, BlockOf } from './provider-descriptors';
import type { SendRateLimit } from './send-rate-limit';

/** Seed field names are GenAuth's and must stay as they are (snake_case included). */
export interface SmtpConfig {
  smtp_host: string;
  smtp_port: number;
  /** SMTP login (absent or empty: no AUTH); the default From only when it is an address. */
  sender?: string;
  senderPass: string;
  /** Implicit TLS (usually port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean;
}

export interface SendGridConfig {
  /** From of every message without its own: `addr` or `Name <addr>`. */
  sender: string;
  apikey: string;
  /**
   * The Signed Event Webhook's verification key (base64 ECDSA P-256 public key, as SendGrid shows
   * it): not a secret, returned as saved. Without it, SendGrid events for the tenant are refused.
   */
  webhookVerificationKey?: string;
}

/** Alibaba (`aliExmailConfig`) and Tencent (`tencentExmailConfig`) enterprise mail: SMTP presets. */
export interface ExmailConfig {
  sender: string;
  senderPass: string;
}

/**
 * The seed's config blocks as one object. Secret fields hold plaintext in memory, ciphertext
 * in the `config` column, and the mask in API answers; the context says which.
 */
export type ProviderBlocks = {
  [D in AnyProviderDescriptor as D['block']]?: BlockOf<D>;
};

/** What the dispatcher reads per tenant (ProviderConfigReader.getActive). */
export interface ActiveProviderConfig {
  /** Bumped on every change; adapters are cached per (tenant, version). */
  version: number;
  enabled: boolean;
  /** Extension field: route to the built-in mailer after `auth` errors or exhausted retries. */
  fallbackOnFailure: boolean;
  /** Extension field: the tenant's send rate (null: unlimited), whichever transport sends. */
  rateLimit: SendRateLimit | null;
  /** The transport's options, decrypted, in memory only; null when disabled (the built-in mailer applies). */
  config: ProviderTransportConfig | null;
}
