import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { dataSourceOptions, runMigrationsLocked } from '../../src/config/data-source';
import { Database } from '../../src/config/database';
import { RESERVE_STATEMENT, SendRateGate } from '../../src/emails/scheduling/send-rate-gate';
import { createTestDatabase, query, type TestDatabase } from '../support/database';

interface Reservation {
  known: boolean;
  wait_ms: number | null;
  slot_ms: number | null;
  day_full: boolean;
  defer_ms: number;
}

/**
 * The send-rate gate's statement under concurrency, on real PostgreSQL, from two connection pools
 * (two replicas): reservations of one tenant are serialized on its row, so slots never overlap
 * and a daily limit is never exceeded, however many replicas ask at once.
 */
describe('send-rate gate (tenant_send_rates) under concurrency', () => {
  let db: TestDatabase;
  let replicas: DataSource[];
  let pools: Pool[];

  beforeAll(async () => {
    db = await createTestDatabase();
    replicas = await Promise.all(
      [0, 1].map(() => new DataSource(dataSourceOptions(db.url)).initialize()),
    );
    await runMigrationsLocked(replicas[0]);
    pools = replicas.map((ds) => (ds.driver as PostgresDriver).master as Pool);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((ds) => ds.destroy()));
    await db.drop();
  });

  async function tenant(): Promise<string> {
    const id = `rate-${Math.random().toString(36).slice(2)}`;
    await query(db.url, 'INSERT INTO tenants (id) VALUES ($1)', [id]);
    await query(
      db.url,
      `INSERT INTO tenant_send_rates (tenant_id, next_slot_at, day, day_count)
       VALUES ($1, clock_timestamp(), (clock_timestamp() AT TIME ZONE 'UTC')::date, 0)`,
      [id],
    );
    return id;
  }

  /** `count` reservations at once, alternating between the two replicas' pools. */
  async function reserveAtOnce(
    count: number,
    values: (number | string | null)[],
  ): Promise<Reservation[]> {
    return Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const { rows } = await pools[i % 2].query<Reservation>(RESERVE_STATEMENT, values);
        return rows[0];
      }),
    );
  }

  it('per second: concurrent reservations from two replicas get slots one interval apart, none past the horizon', async () => {
    const id = await tenant();
    // 2/s (500 ms apart), 1 s horizon: the slots now, +0.5 s and +1 s, then one more per 500 ms
    // that the 40 statements themselves take (they queue on the row's lock); the rest are refused.
    const started = Date.now();
    const results = await reserveAtOnce(40, [id, 0.5, null, 1]);
    const elapsed = Date.now() - started;
    const slots = results
      .filter((r) => r.slot_ms !== null)
      .map((r) => r.slot_ms as number)
      .sort((a, b) => a - b);
    expect(slots.length).toBeGreaterThanOrEqual(3);
    expect(slots.length).toBeLessThanOrEqual(3 + Math.ceil(elapsed / 500));
    expect(slots.length).toBeLessThan(40);
    const gaps = slots.slice(1).map((s, i) => s - slots[i]);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(499.9);
    }
    for (const refused of results.filter((r) => r.slot_ms === null)) {
      expect(refused).toMatchObject({ known: true, day_full: false });
      // Comes back when the clock is within the horizon again: within one slot.
      expect(refused.defer_ms).toBeGreaterThan(-1);
      expect(refused.defer_ms).toBeLessThanOrEqual(501);
    }
  });

  it('per day: 20 concurrent reservations against perDay 5 grant exactly 5; the rest wait for the next UTC day', async () => {
    const id = await tenant();
    const results = await reserveAtOnce(20, [id, null, 5, 2]);
    const granted = results.filter((r) => r.wait_ms !== null);
    expect(granted).toHaveLength(5);
    const [row] = await query<{ day_count: number }>(
      db.url,
      'SELECT day_count FROM tenant_send_rates WHERE tenant_id = $1',
      [id],
    );
    expect(row.day_count).toBe(5);
    const [midnight] = await query<{ ms: number }>(
      db.url,
      `SELECT 1000 * extract(epoch FROM (((clock_timestamp() AT TIME ZONE 'UTC')::date + 1)::timestamp
                                          AT TIME ZONE 'UTC') - clock_timestamp())::float8 AS ms`,
    );
    for (const refused of results.filter((r) => r.wait_ms === null)) {
      expect(refused.day_full).toBe(true);
      expect(Math.abs(refused.defer_ms - midnight.ms)).toBeLessThan(5_000);
    }
  });

  it('a new UTC day starts counting from one again', async () => {
    const id = await tenant();
    await query(
      db.url,
      `UPDATE tenant_send_rates SET day = day - 1, day_count = 5 WHERE tenant_id = $1`,
      [id],
    );
    const [first] = await reserveAtOnce(1, [id, null, 5, 2]);
    expect(first.wait_ms).not.toBeNull();
    const [row] = await query<{ day_count: number; today: boolean }>(
      db.url,
      `SELECT day_count, day = (clock_timestamp() AT TIME ZONE 'UTC')::date AS today
       FROM tenant_send_rates WHERE tenant_id = $1`,
      [id],
    );
    expect(row).toEqual({ day_count: 1, today: true });
  });

  it('admit: creates the row on a first reservation, waits for its slot, defers past the day', async () => {
    const id = `rate-${Math.random().toString(36).slice(2)}`;
    await query(db.url, 'INSERT INTO tenants (id) VALUES ($1)', [id]);
    const gate = new SendRateGate(Database.of(replicas[1]));
    const startBy = Date.now() + 30_000;
    const limit = { perSecond: 5, perDay: 2 };
    const started = Date.now();
    expect(await gate.admit(id, limit, startBy)).toBeNull();
    // The second waits for its slot, 200 ms after the first.
    expect(await gate.admit(id, limit, startBy)).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    const deferred = await gate.admit(id, limit, startBy, () => 0);
    expect(deferred?.limit).toBe('perDay');
    const nextDay = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
    nextDay.setUTCDate(nextDay.getUTCDate() + 1);
    expect(Math.abs(deferred!.until.getTime() - nextDay.getTime())).toBeLessThan(5_000);
  });
});
