import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';
import type { ApiKeyEntity } from './api-key.entity';
import { LAST_USED_RESOLUTION_MS } from './tenancy.constants';

export type NewApiKey = Pick<
  ApiKeyEntity,
  'id' | 'tenantId' | 'name' | 'scopes' | 'secretHash' | 'secretCiphertext' | 'createdBy'
>;

/** api_keys' columns under ApiKeyEntity's property names. */
const COLUMNS = `id, tenant_id AS "tenantId", name, scopes, secret_hash AS "secretHash",
  secret_ciphertext AS "secretCiphertext", created_by AS "createdBy", created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt"`;

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  async insert(key: NewApiKey): Promise<ApiKeyEntity> {
    const [row] = await this.db.query<ApiKeyEntity>(
      `INSERT INTO api_keys (id, tenant_id, name, scopes, secret_hash, secret_ciphertext, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING ${COLUMNS}`,
      [
        key.id,
        key.tenantId,
        key.name,
        key.scopes,
        key.secretHash,
        key.secretCiphertext,
        key.createdBy,
      ],
    );
    return row;
  }

  async findById(id: string): Promise<ApiKeyEntity | null> {
    const rows = await this.db.query<ApiKeyEntity>(
      `SELECT ${COLUMNS} FROM api_keys WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  listByTenant(tenantId: string): Promise<ApiKeyEntity[]> {
    return this.db.query<ApiKeyEntity>(
      `SELECT ${COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
  }

  /** Revokes a key of this tenant (idempotent: the first revocation time is kept); null if none. */
  async revoke(tenantId: string, id: string): Promise<ApiKeyEntity | null> {
    const rows = await this.db.query<ApiKeyEntity>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now())
        WHERE id = $1 AND tenant_id = $2
        RETURNING ${COLUMNS}`,
      [id, tenantId],
    );
    return rows[0] ?? null;
  }

  /** Records use; the condition keeps it to one write per key and minute even across replicas. */
  async touchLastUsed(id: string): Promise<void> {
    await this.db.execute(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [id, LAST_USED_RESOLUTION_MS / 1000],
    );
  }
}
