import { Injectable } from '@nestjs/common';
import { AppException, ValidationException, type FieldError } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';
import type { Principal } from '../tenancy/principal';
import { TenantsService } from '../tenancy/tenants.service';
import { suppressionKey } from './suppression-address';
import {
  SUPPRESSION_REASONS,
  SuppressionsRepository,
  type SuppressionReason,
  type SuppressionRow,
} from './suppressions.repository';

export const MAX_SUPPRESSIONS_PAGE = 200;

export interface SuppressionView {
  email: string;
  reason: SuppressionReason;
  source: string;
  sourceMessageId: string | null;
  detail: Record<string, unknown> | null;
  createdAt: string;
}

function viewOf(row: SuppressionRow): SuppressionView {
  return {
    email: row.address,
    reason: row.reason,
    source: row.source,
    sourceMessageId: row.source_message_id,
    detail: row.detail,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * An address as the list stores it, or why it is not one. Deliberately small (one `@`, no
 * spaces or controls, RFC 5321 lengths): a suppression only has to match what was sent.
 */
export function parseSuppressedAddress(value: unknown): string | string[] {
  if (typeof value !== 'string') {
    return ['must be an email address'];
  }
  const at = value.lastIndexOf('@');
  if (
    at < 1 ||
    at === value.length - 1 ||
    /[\s\p{Cc}<>,;"]/u.test(value) ||
    Buffer.byteLength(value) > 254
  ) {
    return ['must be one email address (at most 254 octets)'];
  }
  const key = suppressionKey(value);
  const domain = key.slice(key.lastIndexOf('@') + 1);
  if (!/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/.test(domain)) {
    return ['has a domain that is not a valid host name'];
  }
  return key;
}

function cursorOf(address: string): string {
  return Buffer.from(address).toString('base64url');
}

@Injectable()
export class SuppressionsService {
  constructor(
    private readonly repo: SuppressionsRepository,
    private readonly tenants: TenantsService,
  ) {}

  async list(
    principal: Principal,
    query: Record<string, string | undefined>,
  ): Promise<{ items: SuppressionView[]; nextCursor: string | null }> {
    const errors: FieldError[] = [];
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SUPPRESSIONS_PAGE) {
      errors.push({
        field: 'limit',
        messages: [`must be an integer from 1 to ${MAX_SUPPRESSIONS_PAGE}`],
      });
    }
    let after: string | undefined;
    if (query.cursor !== undefined) {
      after = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (query.cursor === '' || cursorOf(after) !== query.cursor) {
        errors.push({ field: 'cursor', messages: ['is not a cursor this API returned'] });
      }
    }
    if (query.email !== undefined && (query.email.length > 254 || /\p{Cc}/u.test(query.email))) {
      errors.push({ field: 'email', messages: ['must be at most 254 printable characters'] });
    }
    for (const field of Object.keys(query).filter(
      (k) => !['cursor', 'email', 'limit'].includes(k),
    )) {
      errors.push({ field, messages: ['is not a known query parameter'] });
    }
    if (errors.length > 0) {
      throw new ValidationException(errors);
    }
    // A search for a full address finds it however its domain was written.
    const contains =
      query.email === undefined || query.email === ''
        ? undefined
        : query.email.includes('@')
          ? suppressionKey(query.email)
          : query.email;
    const rows = await this.repo.list(principal.tenantId, { after, contains, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      items: page.map(viewOf),
      nextCursor: rows.length > limit ? cursorOf(page[page.length - 1].address) : null,
    };
  }

  async add(
    principal: Principal,
    body: unknown,
  ): Promise<{ suppression: SuppressionView; created: boolean }> {
    const errors: FieldError[] = [];
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationException([{ field: 'body', messages: ['must be a JSON object'] }]);
    }
    const { email, reason, ...rest } = body as Record<string, unknown>;
    const address = parseSuppressedAddress(email);
    if (Array.isArray(address)) {
      errors.push({ field: 'email', messages: address });
    }
    if (reason !== undefined && !(SUPPRESSION_REASONS as readonly unknown[]).includes(reason)) {
      errors.push({
        field: 'reason',
        messages: [`must be one of ${SUPPRESSION_REASONS.join(', ')}`],
      });
    }
    for (const field of Object.keys(rest)) {
      errors.push({ field, messages: ['is not a known field'] });
    }
    if (errors.length > 0 || Array.isArray(address)) {
      throw new ValidationException(errors);
    }
    if (principal.root) {
      await this.tenants.ensureTenant(principal.tenantId);
    }
    const { row, created } = await this.repo.add(principal.tenantId, {
      address,
      reason: (reason as SuppressionReason | undefined) ?? 'manual',
      source: 'api',
    });
    return { suppression: viewOf(row), created };
  }

  async remove(principal: Principal, email: string): Promise<SuppressionView> {
    const address = parseSuppressedAddress(email);
    if (Array.isArray(address)) {
      throw new ValidationException([{ field: 'email', messages: address }]);
    }
    const row = await this.repo.remove(principal.tenantId, address);
    if (row === null) {
      throw new AppException(ApiCode.NotFound, 'Address is not suppressed');
    }
    return viewOf(row);
  }
}
