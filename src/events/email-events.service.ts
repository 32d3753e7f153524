import { Injectable } from '@nestjs/common';
import { AppException, ValidationException, type FieldError } from '../common/app.exception';
import { ApiCode } from '../common/api-code.enum';
import type { Principal } from '../tenancy/principal';
import { EmailEventsRepository, type EmailEventRow } from './email-events.repository';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURSOR_RE = /^[1-9][0-9]{0,17}$/;
export const MAX_EVENTS_PAGE = 500;

export interface EmailEventView {
  id: string;
  type: string;
  recipient: string | null;
  occurredAt: string;
  source: string;
  data: Record<string, unknown> | null;
}

function viewOf(row: EmailEventRow): EmailEventView {
  return {
    id: row.id,
    type: row.type,
    recipient: row.recipient,
    occurredAt: new Date(row.occurred_at).toISOString(),
    source: row.source,
    data: row.data,
  };
}

@Injectable()
export class EmailEventsService {
  constructor(private readonly repo: EmailEventsRepository) {}

  /** A message's timeline, oldest first, `limit` per page; `nextCursor` while more may follow. */
  async list(
    principal: Principal,
    id: string,
    query: Record<string, string | undefined>,
  ): Promise<{ items: EmailEventView[]; nextCursor: string | null }> {
    const errors: FieldError[] = [];
    if (query.cursor !== undefined && !CURSOR_RE.test(query.cursor)) {
      errors.push({ field: 'cursor', messages: ['is not a cursor this API returned'] });
    }
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_EVENTS_PAGE) {
      errors.push({
        field: 'limit',
        messages: [`must be an integer from 1 to ${MAX_EVENTS_PAGE}`],
      });
    }
    for (const field of Object.keys(query).filter((k) => k !== 'cursor' && k !== 'limit')) {
      errors.push({ field, messages: ['is not a known query parameter'] });
    }
    if (errors.length > 0) {
      throw new ValidationException(errors);
    }
    const rows = UUID_RE.test(id)
      ? await this.repo.list(principal.tenantId, id, { after: query.cursor, limit: limit + 1 })
      : null;
    if (rows === null) {
      throw new AppException(ApiCode.NotFound, 'Email not found');
    }
    const page = rows.slice(0, limit);
    return {
      items: page.map(viewOf),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
