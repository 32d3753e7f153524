import { backoffMs, toOutbound } from './dispatcher.service';
import { parsePreferWait } from './emails.service';

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

describe('toOutbound', () => {
  it('uses the outbox id as the message id and decodes attachments', () => {
    const out = toOutbound({
      id: 'abc',
      tenantId: 't',
      attempt: 1,
      configVersion: 1,
      circuit: 'closed',
      circuitRetryAt: null,
      payload: {
        to: [{ email: 'a@example.test' }],
        subject: 's',
        text: 't',
        attachments: [
          { filename: 'a.txt', content: Buffer.from('hi').toString('base64'), cid: 'logo' },
        ],
      },
    });
    expect(out.messageId).toBe('abc');
    expect(out.attachments?.[0]).toEqual({
      filename: 'a.txt',
      contentType: undefined,
      cid: 'logo',
      content: Buffer.from('hi'),
    });
  });
});

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
