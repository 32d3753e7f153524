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

  it('never lets a tenant hold more than three times its transport can send at once', () => {
    const slots = new TenantSlots(16);
    slots.learned('small', 3);
    expect(slots.limits()).toMatchObject({ tenantIds: ['small'], limits: [9], otherwise: 16 });
    slots.claimed(['small', 'small'], 'small');
    expect(slots.limits()).toMatchObject({ tenantIds: ['small'], limits: [7] });
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
