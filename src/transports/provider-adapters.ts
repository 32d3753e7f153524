import { ALI_EXMAIL_ADAPTER } from './ali-exmail/ali-exmail.preset';
import type { ProviderAdapter } from './provider-adapter';
import type { ProviderConcurrencySettings } from './provider-concurrency';
import type { ProviderType } from './provider-type.enum';
import { SENDGRID_ADAPTER } from './sendgrid/sendgrid.adapter';
import { CUSTOM_SMTP_ADAPTER } from './smtp/custom-smtp.options';
import { TENCENT_EXMAIL_ADAPTER } from './tencent-exmail/tencent-exmail.preset';

/** The adapter of each provider type; a type without one does not compile. */
export const PROVIDER_ADAPTERS = {
  custom: CUSTOM_SMTP_ADAPTER,
  ali: ALI_EXMAIL_ADAPTER,
  qq: TENCENT_EXMAIL_ADAPTER,
  sendgrid: SENDGRID_ADAPTER,
} satisfies Record<ProviderType, ProviderAdapter<never>>;

/** The options a provider type's adapter takes (its own shape, not GenAuth's block). */
export type ProviderTransportOptions<T extends ProviderType> = Parameters<
  (typeof PROVIDER_ADAPTERS)[T]['create']
>[0];

/**
 * What a tenant's provider transport is built from: its type, that type's options (secrets in
 * plaintext, in memory only) and the tenant's concurrency settings (absent: the type's defaults).
 */
export type ProviderTransportConfig = {
  [T in ProviderType]: {
    type: T;
    options: ProviderTransportOptions<T>;
    concurrency?: ProviderConcurrencySettings;
  };
}[ProviderType];
