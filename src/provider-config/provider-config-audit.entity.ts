import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditAction } from './provider-config.constants';

/** One change (or verification) of a tenant's provider configuration; never holds a secret. */
@Entity({ name: 'provider_config_audit' })
export class ProviderConfigAuditEntity {
  /** bigserial: pg hands it over as a string. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'text' })
  tenantId!: string;

  /** The config version this entry produced (or verified). */
  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'text' })
  action!: AuditAction;

  @Column({ name: 'actor_key_id', type: 'text', nullable: true })
  actorKeyId!: string | null;

  @Column({ type: 'jsonb' })
  changes!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
