import type { MailTransport } from '../../transports/mail-transport.interface';
import { TransportSlots } from './transport-slots';

function transport(maxConcurrency: number): MailTransport {
  return {
    name: 'test',
    maxConcurrency,
    send: () => Promise.reject(new Error('not used')),
    verify: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe('TransportSlots', () => {
  it('hands out maxConcurrency slots at once, then queues in order', async () => {
    const slots = new TransportSlots();
    const t = transport(2);
    const far = Date.now() + 60_000;
    await expect(slots.acquire(t, far)).resolves.toBe(true);
    await expect(slots.acquire(t, far)).resolves.toBe(true);
    const order: number[] = [];
    const third = slots.acquire(t, far).then((ok) => order.push(3) && ok);
    const fourth = slots.acquire(t, far).then((ok) => order.push(4) && ok);
    slots.release(t);
    slots.release(t);
    await expect(Promise.all([third, fourth])).resolves.toEqual([true, true]);
    expect(order).toEqual([3, 4]);
  });

  it('withdraws a waiter at its deadline and keeps the slot for the next one', async () => {
    const slots = new TransportSlots();
    const t = transport(1);
    await expect(slots.acquire(t, Date.now() + 60_000)).resolves.toBe(true);
    await expect(slots.acquire(t, Date.now() + 20)).resolves.toBe(false);
    const later = slots.acquire(t, Date.now() + 60_000);
    slots.release(t);
    await expect(later).resolves.toBe(true);
    slots.release(t);
    // All slots free again: an immediate grant.
    await expect(slots.acquire(t, Date.now())).resolves.toBe(true);
  });

  it('keeps adapters apart', async () => {
    const slots = new TransportSlots();
    const [a, b] = [transport(1), transport(1)];
    await expect(slots.acquire(a, Date.now() + 60_000)).resolves.toBe(true);
    await expect(slots.acquire(b, Date.now())).resolves.toBe(true);
  });
});
