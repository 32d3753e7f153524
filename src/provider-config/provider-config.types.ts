import type { ProviderConcurrencySettings } from '../transports/provider-concurrency';
import type { SendRateLimit } from './send-rate-limit';
import type { ProviderType } from './provider-type.enum';

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
 * A provider configuration with its secrets in plaintext, as the transports need it.
 * Only ever held in memory; the database keeps the secrets encrypted.
 */
export type ResolvedProviderConfig = (
  | { type: 'custom'; smtpConfig: SmtpConfig }
  | { type: 'ali'; aliExmailConfig: ExmailConfig }
  | { type: 'qq'; tencentExmailConfig: ExmailConfig }
  | { type: 'sendgrid'; sendGridConfig: SendGridConfig }
) & {
  /** Extension: pool size / requests in flight per replica; absent fields take the type's defaults. */
  concurrency?: ProviderConcurrencySettings;
};

// Compile-time check that the union covers every provider type.
type _Covers = Exclude<ProviderType, ResolvedProviderConfig['type']> extends never ? true : never;
export const RESOLVED_CONFIG_COVERS_ALL_TYPES: _Covers = true;

/**
 * The seed's four config blocks as one object. Secret fields hold plaintext in memory, ciphertext
 * in the `config` column, and the mask in API answers; the context says which.
 */
export interface ProviderBlocks {
  smtpConfig?: SmtpConfig;
  sendGridConfig?: SendGridConfig;
  aliExmailConfig?: ExmailConfig;
  tencentExmailConfig?: ExmailConfig;
}

/** What the dispatcher reads per tenant (ProviderConfigReader.getActive). */
export interface ActiveProviderConfig {
  /** Bumped on every change; adapters are cached per (tenant, version). */
  version: number;
  enabled: boolean;
  /** Extension field: route to the built-in mailer after `auth` errors or exhausted retries. */
  fallbackOnFailure: boolean;
  /** Extension field: the tenant's send rate (null: unlimited), whichever transport sends. */
  rateLimit: SendRateLimit | null;
  /** Decrypted, in memory only; null when disabled (the built-in mailer applies). */
  config: ResolvedProviderConfig | null;
}
