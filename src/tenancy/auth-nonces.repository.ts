import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';

/** Single-use signature nonces shared by every replica (table auth_nonces, plain SQL). */
@Injectable()
export class AuthNoncesRepository {
  constructor(private readonly db: Database) {}

  /** True when this (key, nonce) was not seen before; the primary key makes it atomic. */
  async claim(tenantId: string, keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO auth_nonces (tenant_id, key_id, nonce, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, key_id, nonce) DO NOTHING
       RETURNING 1`,
      [tenantId, keyId, nonce, expiresAt],
    );
    return rows.length === 1;
  }

  /** Deletes nonces whose request date can no longer pass the window check. */
  pruneExpired(): Promise<number> {
    return this.db.execute(`DELETE FROM auth_nonces WHERE expires_at < now()`);
  }
}
