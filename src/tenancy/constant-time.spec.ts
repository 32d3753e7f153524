import { constantTimeEqual, digestEqual } from './constant-time';

// The very module object constant-time.ts calls into (a namespace import would be a copy).
const crypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');

describe('constantTimeEqual', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
    ['é', 'e', false],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
    expect(constantTimeEqual(Buffer.from(a), Buffer.from(b))).toBe(expected);
  });

  it('always calls timingSafeEqual on equal-length buffers, even for different lengths', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    constantTimeEqual('short', 'much longer value');
    constantTimeEqual('same!', 'same?');
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe((b as Buffer).length);
    }
  });
});

describe('digestEqual', () => {
  afterEach(() => jest.restoreAllMocks());

  it('compares values of any length through fixed-size digests', () => {
    const spy = jest.spyOn(crypto, 'timingSafeEqual');
    expect(digestEqual('root_a.secret', 'root_a.secret')).toBe(true);
    expect(digestEqual('root_a.secret', 'root_a.secret-but-longer')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(2);
    for (const [a, b] of spy.mock.calls) {
      expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
    }
  });
});
