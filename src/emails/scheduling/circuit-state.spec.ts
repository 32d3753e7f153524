import { afterFailure, cooldownOf, type CircuitRow } from './circuit-state';

const settings = { failureThreshold: 3, cooldownMs: 5_000, maxCooldownMs: 300_000 };
const closed: CircuitRow = {
  state: 'closed',
  reason: null,
  consecutiveFailures: 0,
  trips: 0,
  probeMessageId: null,
};

describe('circuit state machine', () => {
  it('opens after the threshold of failures in a row, for the first cool-down', () => {
    let row = closed;
    for (let i = 1; i < 3; i += 1) {
      const change = afterFailure(row, { auth: false, messageId: `m${i}` }, settings);
      expect(change).toMatchObject({ transition: false, row: { state: 'closed' } });
      row = change.row;
    }
    expect(afterFailure(row, { auth: false, messageId: 'm3' }, settings)).toEqual({
      row: {
        state: 'open',
        reason: 'failures',
        consecutiveFailures: 3,
        trips: 1,
        probeMessageId: null,
      },
      transition: true,
      cooldownMs: 5_000,
    });
  });

  it('re-opens after a failed probe with a doubled cool-down; other failures only count', () => {
    const halfOpen: CircuitRow = {
      state: 'half_open',
      reason: 'failures',
      consecutiveFailures: 3,
      trips: 1,
      probeMessageId: 'probe',
    };
    expect(afterFailure(halfOpen, { auth: false, messageId: 'late' }, settings)).toEqual({
      row: { ...halfOpen, consecutiveFailures: 4 },
      transition: false,
      cooldownMs: null,
    });
    expect(afterFailure(halfOpen, { auth: false, messageId: 'probe' }, settings)).toMatchObject({
      row: { state: 'open', trips: 2, probeMessageId: null },
      transition: true,
      cooldownMs: 10_000,
    });
  });

  it('opens at once on an auth failure, without a cool-down', () => {
    expect(afterFailure(closed, { auth: true, messageId: 'm' }, settings)).toEqual({
      row: { ...closed, state: 'open', reason: 'auth', consecutiveFailures: 1 },
      transition: true,
      cooldownMs: null,
    });
  });

  it('doubles the cool-down from 5 s up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => cooldownOf(n, settings))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
  });
});
