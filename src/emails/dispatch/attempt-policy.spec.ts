import { DeliveryError, type DeliveryErrorClass } from '../../transports/delivery-error';
import { emptyOutcome, type Outcome } from '../recipient-outcomes';
import { backoffMs, decideFailure, decideSent } from './attempt-policy';

const policy = { maxAttempts: 3, retryBaseMs: 1000 };
const now = Date.parse('2026-01-01T00:00:00Z');
const half = (): number => 0.5;

function error(errorClass: DeliveryErrorClass, retryAfterMs?: number): DeliveryError {
  return new DeliveryError(errorClass, 'boom', { code: `E_${errorClass}`, retryAfterMs });
}

function decide(
  errorClass: DeliveryErrorClass,
  attempt: number,
  route: { fallbackOnFailure?: boolean; fellBack?: boolean } = {},
  retryAfterMs?: number,
): ReturnType<typeof decideFailure> {
  return decideFailure(
    error(errorClass, retryAfterMs),
    {
      attempt,
      fallbackOnFailure: route.fallbackOnFailure ?? false,
      fellBack: route.fellBack ?? false,
    },
    policy,
    now,
    half,
  );
}

describe('backoffMs (exponential, full jitter)', () => {
  it('draws from [0, base * 2^(n-1)]', () => {
    expect(backoffMs(1, 1000, undefined, () => 0.999)).toBe(999);
    expect(backoffMs(3, 1000, undefined, () => 0.5)).toBe(2000);
    expect(backoffMs(3, 1000, undefined, () => 0)).toBe(0);
  });

  it('never waits less than Retry-After', () => {
    expect(backoffMs(1, 1000, 5000, () => 0.1)).toBe(5000);
    expect(backoffMs(10, 1000, 5000, () => 0.9)).toBeGreaterThan(5000);
  });

  it('caps the ceiling at one hour', () => {
    expect(backoffMs(40, 30_000, undefined, () => 0.999999)).toBeLessThanOrEqual(3_600_000);
  });
});

describe('decideFailure', () => {
  it.each<DeliveryErrorClass>(['transient', 'rate_limited', 'auth'])(
    'retries %s with backoff before the last attempt',
    (errorClass) => {
      expect(decide(errorClass, 2)).toEqual({ outcome: 'retry', retryAt: new Date(now + 1000) });
    },
  );

  it('waits at least Retry-After', () => {
    expect(decide('rate_limited', 1, {}, 30_000)).toEqual({
      outcome: 'retry',
      retryAt: new Date(now + 30_000),
    });
  });

  it.each<DeliveryErrorClass>(['rejected', 'config'])('fails %s at once', (errorClass) => {
    expect(decide(errorClass, 1)).toEqual({ outcome: 'failed' });
    expect(decide(errorClass, 1, { fallbackOnFailure: true })).toEqual({ outcome: 'failed' });
  });

  it('fails a retriable error on the last attempt', () => {
    expect(decide('transient', 3)).toEqual({ outcome: 'failed' });
  });

  it('with fallbackOnFailure, hands an auth failure to the built-in mailer at once', () => {
    expect(decide('auth', 1, { fallbackOnFailure: true })).toEqual({
      outcome: 'fallback',
      reason: { kind: 'provider_auth_failed', detail: 'E_auth' },
    });
  });

  it('with fallbackOnFailure, hands exhausted retries to the built-in mailer', () => {
    expect(decide('transient', 2, { fallbackOnFailure: true })).toEqual({
      outcome: 'retry',
      retryAt: new Date(now + 1000),
    });
    expect(decide('transient', 3, { fallbackOnFailure: true })).toEqual({
      outcome: 'fallback',
      reason: { kind: 'provider_retries_exhausted', detail: 'E_transient' },
    });
  });

  it('never falls back from the fallback itself', () => {
    const route = { fallbackOnFailure: true, fellBack: true };
    expect(decide('auth', 1, route)).toEqual({ outcome: 'retry', retryAt: new Date(now + 500) });
    expect(decide('transient', 3, route)).toEqual({ outcome: 'failed' });
  });
});

describe('decideSent', () => {
  const at = new Date(now).toISOString();
  function outcome(states: Record<string, 'sent' | 'deferred' | 'failed'>): Outcome {
    const result = emptyOutcome();
    for (const [address, state] of Object.entries(states)) {
      result.recipients[address] = { state, at };
    }
    if (Object.values(states).includes('sent')) {
      result.events.push({ type: 'sent', recipient: null, data: {} });
    }
    return result;
  }

  it('is sent with no retry when every recipient took it', () => {
    expect(decideSent(outcome({ a: 'sent' }), 1, policy, now, half)).toEqual({
      outcome: 'sent',
      retryAt: null,
    });
  });

  it('is sent, and retries the deferred recipients alone', () => {
    expect(decideSent(outcome({ a: 'sent', b: 'deferred' }), 1, policy, now, half)).toEqual({
      outcome: 'sent',
      retryAt: new Date(now + 500),
    });
  });

  it('retries when every recipient was deferred, fails when every one was refused', () => {
    expect(decideSent(outcome({ b: 'deferred' }), 2, policy, now, half)).toEqual({
      outcome: 'retry',
      retryAt: new Date(now + 1000),
    });
    expect(decideSent(outcome({ b: 'failed' }), 3, policy, now, half)).toEqual({
      outcome: 'failed',
      retryAt: null,
    });
  });
});
