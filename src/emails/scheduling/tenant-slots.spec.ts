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

  it('never lets a tenant hold more than twice its transport can send at once', () => {
    const slots = new TenantSlots(16);
    slots.learned('small', 3);
    expect(slots.limits()).toMatchObject({ tenantIds: ['small'], limits: [6], otherwise: 16 });
    slots.claimed(['small', 'small'], 'small');
    expect(slots.limits()).toMatchObject({ tenantIds: ['small'], limits: [4] });
  });

  it('keeps the cursor when a claim served nobody', () => {
    const slots = new TenantSlots(4);
    slots.claimed(['b'], 'b');
    slots.claimed([], undefined);
    expect(slots.limits().cursor).toBe('b');
  });
});
