import { parsePreferWait } from './emails.service';

describe('parsePreferWait (RFC 7240)', () => {
  it.each([
    [undefined, undefined],
    ['wait=5', 5],
    ['respond-async, wait=10', 10],
    ['wait="7"', 7],
    ['wait=120', 30],
    ['return=minimal', undefined],
  ])('%s -> %s', (header, expected) => {
    expect(parsePreferWait(header)).toBe(expected);
  });
});
