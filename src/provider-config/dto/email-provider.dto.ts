import type { DeliveryErrorClass } from '../../transports/delivery-error';
import type { ProviderConcurrency } from '../../transports/provider-concurrency';
import type { AuditAction } from '../provider-config.constants';
import type { ProviderBlocks } from '../provider-config.types';
import type { ProviderType } from '../provider-type.enum';
import type { SendRateLimit } from '../send-rate-limit';

/** A verification or test-send failure, safe to show and to store. */
export interface ProviderErrorDto {
  class: DeliveryErrorClass;
  code: string;
  status?: number;
  message: string;
}

/** The circuit breaker of the tenant's provider (README "Circuit breaker"), for the saved version. */
export interface ProviderHealthDto {
  state: 'closed' | 'open' | 'half_open';
  /** When it entered this state (the config's save time while it never failed). */
  since: string;
  consecutiveFailures: number;
  /** The last failure through the provider, classified (never a secret or a raw server echo). */
  lastError: ProviderErrorDto | null;
  /** Why it is open: `failures` in a row (it probes again at `retryAt`) or `auth` (until the config changes or a verify succeeds). */
  reason: 'failures' | 'auth' | null;
  retryAt: string | null;
}

/**
 * GenAuth's `EmailProviderDto` (each type's block as its descriptor answers it, secrets masked) plus mailgate's extras: `fallbackOnFailure`,
 * `concurrency` (the values that apply, defaults filled in), `rateLimit` (null: unlimited), `version`, `lastVerifiedAt`, `lastVerifyError`, `updatedAt`, `health`.
 */
export interface EmailProviderDto extends ProviderBlocks {
  enabled: boolean;
  type: ProviderType;
  fallbackOnFailure: boolean;
  concurrency: ProviderConcurrency;
  rateLimit: SendRateLimit | null;
  version: number;
  lastVerifiedAt: string | null;
  lastVerifyError: ProviderErrorDto | null;
  updatedAt: string;
  health: ProviderHealthDto;
}

/** Answer of POST /api/v3/verify-email-provider. */
export interface VerifyEmailProviderResultDto {
  ok: boolean;
  error?: ProviderErrorDto;
}

/** Answer of POST /api/v3/send-test-email. */
export interface SendTestEmailResultDto {
  ok: boolean;
  providerMessageId?: string | null;
  accepted?: string[];
  rejected?: string[];
  error?: ProviderErrorDto;
}

/** One change to one field; secrets show a marker (`secret changed`…) instead of values. */
export type AuditFieldChange = { old: unknown; new: unknown } | string;

export interface ProviderConfigAuditEntryDto {
  id: string;
  version: number;
  action: AuditAction;
  actorKeyId: string | null;
  /** Field path (`smtpConfig.smtp_host`) → change; for `verify`, the outcome. */
  changes: Record<string, unknown>;
  createdAt: string;
}

/** Answer of GET /api/v3/email-provider-history. */
export interface EmailProviderHistoryDto {
  list: ProviderConfigAuditEntryDto[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}
