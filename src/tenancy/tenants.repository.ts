import { Injectable } from '@nestjs/common';
import { Database } from '../config/database';
import type { TenantEntity } from './tenant.entity';

@Injectable()
export class TenantsRepository {
  constructor(private readonly db: Database) {}

  /** Idempotent and race-free across replicas: concurrent first uses insert one row. */
  async ensure(id: string): Promise<void> {
    await this.db.execute(`INSERT INTO tenants (id) VALUES ($1) ON CONFLICT DO NOTHING`, [id]);
  }

  async findById(id: string): Promise<TenantEntity | null> {
    const rows = await this.db.query<TenantEntity>(
      `SELECT id, name, created_at AS "createdAt" FROM tenants WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }
}
