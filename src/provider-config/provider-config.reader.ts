import { Injectable } from '@nestjs/common';
import { DeliveryError } from '../transports/delivery-error';
import { loginAsFrom } from '../transports/smtp/custom-smtp.options';
import { hasUnreadableSecret, ProviderConfigMapper, toResolved } from './provider-config.mapper';
import { ProviderConfigRepository } from './provider-config.repository';
import type { ActiveProviderConfig } from './provider-config.types';

/** What the accept path knows of a tenant's From (ProviderConfigReader.fromSource). */
export interface FromSource {
  from: 'builtin' | 'address' | 'login';
  sendgrid: boolean;
  /** The config version it was read from (0: none saved). */
  version: number;
}

/**
 * The dispatcher's read side: the tenant's active provider with secrets decrypted (in memory
 * only). The dispatcher learns the current version from its claim statement and reads again
 * only when its cached one is older.
 */
@Injectable()
export class ProviderConfigReader {
  constructor(
    private readonly repository: ProviderConfigRepository,
    private readonly mapper: ProviderConfigMapper,
  ) {}

  /**
   * What the accept path needs to know about the tenant's From, without decrypting anything:
   * `builtin` (no enabled provider: BUILTIN_MAIL_FROM), `address` (the provider's sender is a From),
   * `login` (a custom SMTP login that is not an address, or none: each message must give `from`);
   * `sendgrid` is reported apart because SendGrid refuses UTF-8 local parts.
   */
  async fromSource(tenantId: string): Promise<FromSource> {
    const row = await this.repository.find(tenantId);
    if (row === null || !row.enabled) {
      return { from: 'builtin', sendgrid: false, version: row?.version ?? 0 };
    }
    const loginOnly =
      row.type === 'custom' && loginAsFrom(row.config.smtpConfig?.sender) === undefined;
    return {
      from: loginOnly ? 'login' : 'address',
      sendgrid: row.type === 'sendgrid',
      version: row.version,
    };
  }

  /**
   * The tenant's configuration, or null when none was ever saved. `config` is null when the
   * provider is disabled (the built-in mailer applies). Throws a `config` DeliveryError when an
   * enabled provider's secret cannot be decrypted (MAILGATE_SECRET_KEY lost its key).
   */
  async getActive(tenantId: string): Promise<ActiveProviderConfig | null> {
    const row = await this.repository.find(tenantId);
    if (row === null) {
      return null;
    }
    const active = {
      version: row.version,
      enabled: row.enabled,
      fallbackOnFailure: row.fallbackOnFailure,
      rateLimit: row.rateLimit,
    };
    if (!row.enabled) {
      return { ...active, config: null };
    }
    const blocks = this.mapper.decrypt(tenantId, row.config);
    if (hasUnreadableSecret(row.type, blocks)) {
      throw new DeliveryError(
        'config',
        'The stored provider secret cannot be decrypted with MAILGATE_SECRET_KEY; save the provider config again',
        { code: 'SECRET_UNREADABLE' },
      );
    }
    return { ...active, config: toResolved(row.type, blocks, row.concurrency) };
  }
}
