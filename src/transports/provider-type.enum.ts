/** Provider types of GenAuth's config_email_provider (`ali` = Alibaba exmail, `qq` = Tencent exmail). */
export const PROVIDER_TYPES = ['custom', 'ali', 'qq', 'sendgrid'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export function isProviderType(value: unknown): value is ProviderType {
  return typeof value === 'string' && (PROVIDER_TYPES as readonly string[]).includes(value);
}
