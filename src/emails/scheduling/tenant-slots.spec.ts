import { TenantSlots } from './tenant-slots';

describe('TenantSlots', () => {
  it('limits a tenant to its share minus what it has in flight', () => {
    const slots = new TenantSlots(4);
    slots.claimed(['a', 'a', 'a'], 'a');
    expect(slots.limits()).toEqual({
      tenantIds: ['a'],
      limits: [1],
      otherwise: 4,
      cursor: 'a',
    });
    slots.finished('a');
    slots.finished('a');
    slots.finished('a');
    expect(slots.limits().tenantIds).toEqual([]);
  });

  it('holds three per connection of a transport whose send time is not known yet', () => {
    const slots = new TenantSlots(16);
    slots.learned('small', { maxConcurrency: 3 });
    expect(slots.limits()).toMatchObject({ tenantIds: ['small'], limits: [9], otherwise: 16 });
    slots.claimed(['small', 'small'], 'small');
    expect(slots.limits()).toMatchObject({ tenantIds: ['small'], limits: [7] });
  });

  it('keeps three per connection of a distant provider, and more of a fast one up to the share', () => {
    const slots = new TenantSlots(64);
    const distant = { maxConcurrency: 4 };
    const fast = { maxConcurrency: 3 };
    const quick = { maxConcurrency: 2 };
    slots.learned('distant', distant);
    slots.learned('fast', fast);
    slots.learned('quick', quick);
    slots.sendTook(distant, 120);
    // 50 ms of 10 ms sends: five ready behind the one in progress.
    slots.sendTook(fast, 10);
    // 50 ms of 1 ms sends would be fifty per connection: the share (64) caps them.
    slots.sendTook(quick, 1);
    expect(slots.limits()).toMatchObject({
      tenantIds: ['distant', 'fast'],
      limits: [12, 18],
      otherwise: 64,
    });
  });

  it('follows a provider that slows down, and a tenant that changes transport', () => {
    const slots = new TenantSlots(64);
    const first = { maxConcurrency: 2 };
    slots.learned('a', first);
    slots.sendTook(first, 5);
    expect(slots.limits().limits).toEqual([22]);
    for (let i = 0; i < 20; i += 1) {
      slots.sendTook(first, 200);
    }
    expect(slots.limits().limits).toEqual([6]);
    const second = { maxConcurrency: 5 };
    slots.learned('a', second);
    expect(slots.limits().limits).toEqual([15]);
  });

  it("asks for a claim only once half of a tenant's slots are free again", () => {
    const slots = new TenantSlots(8);
    slots.claimed(
      Array.from({ length: 8 }, () => 'a'),
      'a',
    );
    const refill = [1, 2, 3, 4, 5].map(() => slots.finished('a'));
    // 7, 6 and 5 in flight: the connections are still fed; from 4 on a claim refills 4 at once.
    expect(refill).toEqual([false, false, false, true, true]);
    expect(slots.limits()).toMatchObject({ tenantIds: ['a'], limits: [5] });
  });

  it('keeps the cursor when a claim served nobody', () => {
    const slots = new TenantSlots(4);
    slots.claimed(['b'], 'b');
    slots.claimed([], undefined);
    expect(slots.limits().cursor).toBe('b');
  });
});
