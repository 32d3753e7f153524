import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Single-use signature nonces shared by every replica (table auth_nonces, plain SQL). */
@Injectable()
export class AuthNoncesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** True when this (key, nonce) was not seen before; the primary key makes it atomic. */
  async claim(tenantId: string, keyId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO auth_nonces (tenant_id, key_id, nonce, expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, key_id, nonce) DO NOTHING
       RETURNING 1`,
      [tenantId, keyId, nonce, expiresAt],
    );
    return rows.length === 1;
  }

  /** Deletes nonces whose request date can no longer pass the window check. */
  async pruneExpired(): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM auth_nonces WHERE expires_at < now()`,
    );
    return result[1];
  }
}
