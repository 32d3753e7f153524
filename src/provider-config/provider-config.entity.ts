import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ProviderErrorDto } from './dto/email-provider.dto';
import type { ProviderConcurrencySettings } from '../transports/provider-concurrency';
import type { ProviderBlocks } from './provider-config.types';
import type { SendRateLimit } from './send-rate-limit';
import type { ProviderType } from './provider-type.enum';

/** One tenant's provider configuration (`email_provider_configs`, one row per tenant). */
@Entity({ name: 'email_provider_configs' })
export class ProviderConfigEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  @Column({ type: 'text' })
  type!: ProviderType;

  @Column({ type: 'boolean' })
  enabled!: boolean;

  /** The seed's blocks; secret fields hold SecretCipher ciphertext. */
  @Column({ type: 'jsonb' })
  config!: ProviderBlocks;

  @Column({ name: 'fallback_on_failure', type: 'boolean' })
  fallbackOnFailure!: boolean;

  /** Extension: pool size / requests in flight, only values that differ from the type's defaults. */
  @Column({ type: 'jsonb' })
  concurrency!: ProviderConcurrencySettings;

  /** Extension: the tenant's send rate; null when unlimited. */
  @Column({ name: 'rate_limit', type: 'jsonb', nullable: true })
  rateLimit!: SendRateLimit | null;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'last_verified_at', type: 'timestamptz', nullable: true })
  lastVerifiedAt!: Date | null;

  @Column({ name: 'last_verify_error', type: 'jsonb', nullable: true })
  lastVerifyError!: ProviderErrorDto | null;

  @Column({ name: 'updated_by', type: 'text', nullable: true })
  updatedBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
