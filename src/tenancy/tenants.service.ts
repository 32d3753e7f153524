import { Injectable } from '@nestjs/common';
import { ValidationException } from '../common/app.exception';
import { TenantsRepository } from './tenants.repository';
import { isTenantId, TENANT_HEADER } from './tenancy.constants';

const KNOWN_TTL_MS = 60_000;
const KNOWN_MAX = 10_000;

/**
 * Tenants are GenAuth userpools, created on first use. Other modules call `ensureTenant` before
 * writing rows that reference `tenants(id)` (a root-key request may name a tenant never seen).
 */
@Injectable()
export class TenantsService {
  /** Tenants this replica recently ensured: the hot path skips the insert. */
  private readonly known = new Map<string, number>();

  constructor(private readonly tenants: TenantsRepository) {}

  async ensureTenant(id: string): Promise<void> {
    if (!isTenantId(id)) {
      throw new ValidationException([
        { field: TENANT_HEADER, messages: ['must be 1-64 characters of A-Z a-z 0-9 _ -'] },
      ]);
    }
    const now = Date.now();
    if ((this.known.get(id) ?? 0) > now) {
      return;
    }
    await this.tenants.ensure(id);
    if (this.known.size >= KNOWN_MAX) {
      this.known.clear();
    }
    this.known.set(id, now + KNOWN_TTL_MS);
  }

  async exists(id: string): Promise<boolean> {
    return (await this.tenants.findById(id)) !== null;
  }
}
