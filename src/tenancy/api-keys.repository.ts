import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity';
import { LAST_USED_RESOLUTION_MS } from './tenancy.constants';

export type NewApiKey = Pick<
  ApiKeyEntity,
  'id' | 'tenantId' | 'name' | 'scopes' | 'secretHash' | 'secretCiphertext' | 'createdBy'
>;

@Injectable()
export class ApiKeysRepository {
  constructor(@InjectRepository(ApiKeyEntity) private readonly repo: Repository<ApiKeyEntity>) {}

  async insert(key: NewApiKey): Promise<ApiKeyEntity> {
    await this.repo.insert(key);
    return this.repo.findOneByOrFail({ id: key.id });
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ id });
  }

  listByTenant(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.repo.find({ where: { tenantId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Revokes a key of this tenant (idempotent: the first revocation time is kept); null if none. */
  async revoke(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    await this.repo
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: () => 'COALESCE(revoked_at, now())' })
      .where('id = :id AND tenant_id = :tenantId', { id, tenantId })
      .execute();
    return this.repo.findOneBy({ id, tenantId });
  }

  /** Records use; the condition keeps it to one write per key and minute even across replicas. */
  async touchLastUsed(id: string): Promise<void> {
    await this.repo.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [id, LAST_USED_RESOLUTION_MS / 1000],
    );
  }
}
