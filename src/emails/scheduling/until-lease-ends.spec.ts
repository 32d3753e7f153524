import { untilLeaseEnds } from './until-lease-ends';

/** A pg connection error as node-postgres reports a restart (SQLSTATE 57P01, admin shutdown). */
const shutdown = Object.assign(new Error('terminating connection due to administrator command'), {
  code: '57P01',
});

describe('untilLeaseEnds', () => {
  function clock(start = 1_000): {
    now: () => number;
    pause: (ms: number) => Promise<void>;
    pauses: number[];
  } {
    let t = start;
    const pauses: number[] = [];
    return {
      now: () => t,
      pause: (ms) => {
        pauses.push(ms);
        t += ms;
        return Promise.resolve();
      },
      pauses,
    };
  }

  it('retries a write while the database is away, with growing pauses, and returns its result', async () => {
    const c = clock();
    let calls = 0;
    const result = await untilLeaseEnds(
      () => {
        calls += 1;
        return calls < 5 ? Promise.reject(shutdown) : Promise.resolve('written');
      },
      { leaseEnd: 60_000, now: c.now, pause: c.pause },
    );
    expect(result).toBe('written');
    expect(c.pauses).toEqual([100, 200, 400, 800]);
  });

  it('stops at the lease end, never pausing past it, and throws the last error', async () => {
    const c = clock(0);
    const retries: number[] = [];
    await expect(
      untilLeaseEnds(() => Promise.reject(shutdown), {
        leaseEnd: 1_000,
        now: c.now,
        pause: c.pause,
        onRetry: (_e, ms) => retries.push(ms),
      }),
    ).rejects.toBe(shutdown);
    expect(c.pauses.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(c.pauses.at(-1)).toBe(300);
    expect(retries).toEqual(c.pauses);
  });

  it('throws at once what is not about reaching the database', async () => {
    const c = clock();
    const unique = Object.assign(new Error('duplicate key'), { code: '23505' });
    let calls = 0;
    await expect(
      untilLeaseEnds(
        () => {
          calls += 1;
          return Promise.reject(unique);
        },
        { leaseEnd: 60_000, now: c.now, pause: c.pause },
      ),
    ).rejects.toBe(unique);
    expect(calls).toBe(1);
    expect(c.pauses).toEqual([]);
  });

  it('retries connection refusals and terminated connections (a restart seen from the pool)', async () => {
    const c = clock();
    const errors = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      new Error('Connection terminated unexpectedly'),
    ];
    let calls = 0;
    await untilLeaseEnds(
      () => (calls < errors.length ? Promise.reject(errors[calls++]) : Promise.resolve()),
      { leaseEnd: 60_000, now: c.now, pause: c.pause },
    );
    expect(c.pauses).toHaveLength(2);
  });
});
