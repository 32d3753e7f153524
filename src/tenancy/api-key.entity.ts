import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Scope } from './scope.enum';

/** An access key pair of one tenant. The secret is only stored encrypted and as an HMAC hash. */
@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text', { nullable: true })
  name!: string | null;

  @Column('text', { array: true })
  scopes!: Scope[];

  /** `<secret key id>:<base64url HMAC-SHA256>` (ApiKeySecretHasher). */
  @Column('text', { name: 'secret_hash' })
  secretHash!: string;

  /** SecretCipher output, associated data `secretAssociatedData(id)`. */
  @Column('text', { name: 'secret_ciphertext' })
  secretCiphertext!: string;

  @Column('text', { name: 'created_by', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}
