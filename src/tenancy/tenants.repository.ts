import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TenantEntity } from './tenant.entity';

@Injectable()
export class TenantsRepository {
  constructor(@InjectRepository(TenantEntity) private readonly repo: Repository<TenantEntity>) {}

  /** Idempotent and race-free across replicas: concurrent first uses insert one row. */
  async ensure(id: string): Promise<void> {
    await this.repo
      .createQueryBuilder()
      .insert()
      .into(TenantEntity)
      .values({ id })
      .orIgnore()
      .execute();
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.repo.findOneBy({ id });
  }
}
