import type { MailTransport } from '../../transports/mail-transport.interface';
import { SendSlots } from './send-slots';

function transport(maxConcurrency: number): MailTransport {
  return {
    name: 'test',
    maxConcurrency,
    send: () => Promise.reject(new Error('not used')),
    verify: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const far = (): number => Date.now() + 60_000;

/** Whether `p` has settled after the pending microtasks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('SendSlots', () => {
  it("hands out an adapter's maxConcurrency slots at once, then queues in order", async () => {
    const slots = new SendSlots(16, 16);
    const t = transport(2);
    await expect(slots.acquire('a', t, far())).resolves.toBe(true);
    await expect(slots.acquire('a', t, far())).resolves.toBe(true);
    const order: number[] = [];
    const third = slots.acquire('a', t, far()).then((ok) => order.push(3) && ok);
    const fourth = slots.acquire('a', t, far()).then((ok) => order.push(4) && ok);
    expect(await settled(third)).toBe(false);
    slots.release('a', t);
    slots.release('a', t);
    await expect(Promise.all([third, fourth])).resolves.toEqual([true, true]);
    expect(order).toEqual([3, 4]);
  });

  it('bounds one tenant by the tenant limit, across its adapters', async () => {
    const slots = new SendSlots(16, 2);
    const [provider, builtin] = [transport(8), transport(8)];
    await expect(slots.acquire('a', provider, far())).resolves.toBe(true);
    await expect(slots.acquire('a', builtin, far())).resolves.toBe(true);
    const third = slots.acquire('a', provider, far());
    expect(await settled(third)).toBe(false);
    // Another tenant is not held up by the first one's limit.
    await expect(slots.acquire('b', provider, far())).resolves.toBe(true);
    slots.release('a', builtin);
    await expect(third).resolves.toBe(true);
  });

  it('bounds the replica, and a waiter that does not fit never blocks one that does', async () => {
    const slots = new SendSlots(2, 2);
    const [small, other] = [transport(1), transport(4)];
    await expect(slots.acquire('a', small, far())).resolves.toBe(true);
    await expect(slots.acquire('b', other, far())).resolves.toBe(true);
    // The replica is full: both wait, the first for its one-connection adapter as well.
    const blocked = slots.acquire('a', small, far());
    const next = slots.acquire('c', other, far());
    expect(await settled(next)).toBe(false);
    slots.release('b', other);
    await expect(next).resolves.toBe(true);
    expect(await settled(blocked)).toBe(false);
    slots.release('a', small);
    await expect(blocked).resolves.toBe(true);
  });

  it('withdraws a waiter at its deadline and keeps the slot for the next one', async () => {
    const slots = new SendSlots(16, 16);
    const t = transport(1);
    await expect(slots.acquire('a', t, far())).resolves.toBe(true);
    await expect(slots.acquire('a', t, Date.now() + 20)).resolves.toBe(false);
    const later = slots.acquire('a', t, far());
    slots.release('a', t);
    await expect(later).resolves.toBe(true);
    slots.release('a', t);
    // All slots free again: an immediate grant.
    await expect(slots.acquire('a', t, Date.now())).resolves.toBe(true);
  });

  it('withdraws every waiter at close, and refuses later ones, while started sends keep theirs', async () => {
    const slots = new SendSlots(16, 16);
    const t = transport(1);
    await expect(slots.acquire('a', t, far())).resolves.toBe(true);
    const waiting = slots.acquire('a', t, far());
    slots.close();
    await expect(waiting).resolves.toBe(false);
    await expect(slots.acquire('b', transport(4), far())).resolves.toBe(false);
    slots.release('a', t);
  });
});
