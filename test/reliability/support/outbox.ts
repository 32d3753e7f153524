import { query } from '../../support/database';

export async function statusCounts(dbUrl: string): Promise<Record<string, number>> {
  const rows = await query<{ status: string; n: number }>(
    dbUrl,
    'SELECT status, count(*)::int AS n FROM email_messages GROUP BY status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export type OutboxRow = {
  id: string;
  status: string;
  attempts: number;
  last_error: { class: string; code: string; message: string } | null;
};

export async function outboxRows(dbUrl: string, ids?: string[]): Promise<OutboxRow[]> {
  return query<OutboxRow>(
    dbUrl,
    `SELECT id::text, status, attempts, last_error FROM email_messages
      WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[]) ORDER BY created_at`,
    [ids ?? null],
  );
}

/**
 * Ids leased (`sending`) by one dispatcher. Right after its process is killed, exactly what that
 * process had in flight (leases of processes killed before may still be there too).
 */
export async function inFlightIds(dbUrl: string, workerId: string): Promise<string[]> {
  const rows = await query<{ id: string }>(
    dbUrl,
    `SELECT id::text FROM email_messages WHERE status = 'sending' AND locked_by = $1`,
    [workerId],
  );
  return rows.map((r) => r.id);
}

/** How often each value occurs. */
export function tally(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) {
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/** The Message-ID the gateway gives message `id` (stable across attempts). */
export function messageIdOf(id: string): string {
  return `<${id}@example.test>`;
}
