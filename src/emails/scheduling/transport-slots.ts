import type { MailTransport } from '../../transports/mail-transport.interface';

interface Waiter {
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * At most `transport.maxConcurrency` sends handed to one adapter at a time. Sends past that wait
 * here, not inside the adapter (nodemailer's pool queue cannot give a message back), so a send
 * that has not started by its deadline is withdrawn before anything reached the server.
 */
export class TransportSlots {
  private readonly slots = new WeakMap<MailTransport, { busy: number; waiting: Waiter[] }>();

  private of(transport: MailTransport): { busy: number; waiting: Waiter[] } {
    let state = this.slots.get(transport);
    if (state === undefined) {
      state = { busy: 0, waiting: [] };
      this.slots.set(transport, state);
    }
    return state;
  }

  /** Resolves true with a slot (give it back with `release`), or false when `deadline` passed first. */
  acquire(transport: MailTransport, deadline: number): Promise<boolean> {
    const state = this.of(transport);
    if (state.busy < Math.max(1, transport.maxConcurrency) && state.waiting.length === 0) {
      state.busy += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(true);
        },
        timer: setTimeout(
          () => {
            state.waiting.splice(state.waiting.indexOf(waiter), 1);
            resolve(false);
          },
          Math.max(0, deadline - Date.now()),
        ),
      };
      state.waiting.push(waiter);
    });
  }

  release(transport: MailTransport): void {
    const state = this.of(transport);
    const next = state.waiting.shift();
    if (next !== undefined) {
      // The slot passes straight to the oldest waiter.
      next.grant();
      return;
    }
    state.busy = Math.max(0, state.busy - 1);
  }
}
