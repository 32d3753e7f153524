import { GroupCommit, type GroupCommitOptions } from './group-commit';

/** A writer that holds each statement until released, recording what every statement carried. */
function heldWriter(fail: (items: string[]) => boolean = () => false) {
  const statements: string[][] = [];
  const held: Array<() => void> = [];
  const write = (items: string[]): Promise<void> => {
    statements.push(items);
    return new Promise<void>((resolve, reject) => {
      held.push(() => (fail(items) ? reject(new Error(`bad ${items.join(',')}`)) : resolve()));
    });
  };
  const releaseAll = async (): Promise<void> => {
    while (held.length > 0) {
      held.splice(0).forEach((release) => release());
      // Let settled statements start the next ones.
      await new Promise((r) => setImmediate(r));
    }
  };
  return { statements, write, releaseAll };
}

/** A GroupCommit over `writer`: 100 items per statement unless told otherwise. */
function groupOf(
  writer: { write: (items: string[]) => Promise<void> },
  options: Partial<Omit<GroupCommitOptions<string>, 'write'>> & { maxInFlight: number },
): GroupCommit<string> {
  return new GroupCommit<string>({
    write: writer.write,
    rewrite: (item) => writer.write([item]),
    maxItems: 100,
    ...options,
  });
}

function settle(promise: Promise<void>): Promise<string> {
  return promise.then(
    () => 'ok',
    (error: Error) => error.message,
  );
}

describe('GroupCommit', () => {
  it('writes at once while idle, and groups what arrives while statements are in flight', async () => {
    const writer = heldWriter();
    const group = groupOf(writer, { maxInFlight: 2 });
    const outcomes = ['a', 'b', 'c', 'd', 'e', 'f'].map((item) => settle(group.add(item)));
    // a and b each went alone (two slots); c..f wait for a free slot.
    expect(writer.statements).toEqual([['a'], ['b']]);
    expect(group.waiting).toBe(4);
    await writer.releaseAll();
    expect(await Promise.all(outcomes)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(writer.statements).toEqual([['a'], ['b'], ['c', 'd', 'e', 'f']]);
    expect(group.waiting).toBe(0);
  });

  it('resolves no caller before its own statement finished', async () => {
    const writer = heldWriter();
    const group = groupOf(writer, { maxInFlight: 1 });
    let done = false;
    const first = group.add('a').then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    await writer.releaseAll();
    await first;
    expect(done).toBe(true);
  });

  it('bounds a statement by items and by summed size (but always takes one)', async () => {
    const writer = heldWriter();
    const group = groupOf(writer, {
      maxInFlight: 1,
      maxItems: 3,
      size: { max: 10, of: (item) => item.length },
    });
    const items = ['x', 'b1', 'b2', 'b3', 'b4', 'huge-item-of-12', 'c1', 'c2'];
    const outcomes = items.map((item) => settle(group.add(item)));
    await writer.releaseAll();
    expect(await Promise.all(outcomes)).toEqual(items.map(() => 'ok'));
    expect(writer.statements).toEqual([
      ['x'],
      ['b1', 'b2', 'b3'],
      ['b4'],
      ['huge-item-of-12'],
      ['c1', 'c2'],
    ]);
  });

  it('retries a failed group one row at a time, so only the bad row fails', async () => {
    const writer = heldWriter((items) => items.includes('bad'));
    const group = groupOf(writer, { maxInFlight: 1 });
    const outcomes = ['first', 'a', 'bad', 'b'].map((item) => settle(group.add(item)));
    await writer.releaseAll();
    expect(await Promise.all(outcomes)).toEqual(['ok', 'ok', 'bad bad', 'ok']);
    expect(writer.statements).toEqual([['first'], ['a', 'bad', 'b'], ['a'], ['bad'], ['b']]);
  });

  it('rewrites the rows of a group that failed after it committed, and they resolve', async () => {
    // The statement commits, then its connection breaks: the caller of write() sees an error.
    const stored = new Set<string>();
    const writes: string[][] = [];
    const rewrites: string[] = [];
    const group = groupOf(
      {
        write: async (items) => {
          writes.push(items);
          items.forEach((item) => stored.add(item));
          await Promise.resolve();
          throw new Error('Connection terminated unexpectedly');
        },
      },
      {
        maxInFlight: 1,
        rewrite: async (item) => {
          rewrites.push(item);
          await Promise.resolve();
          if (!stored.has(item)) {
            throw new Error(`lost ${item}`);
          }
        },
      },
    );
    const outcomes = ['a', 'b', 'c'].map((item) => settle(group.add(item)));
    expect(await Promise.all(outcomes)).toEqual(['ok', 'ok', 'ok']);
    expect(writes).toEqual([['a'], ['b', 'c']]);
    expect(rewrites).toEqual(['a', 'b', 'c']);
  });

  it('passes a lone row’s error through, and keeps going after it', async () => {
    const writer = heldWriter((items) => items.includes('bad'));
    const group = groupOf(writer, { maxInFlight: 1 });
    const bad = settle(group.add('bad'));
    const next = settle(group.add('next'));
    await writer.releaseAll();
    expect(await bad).toBe('bad bad');
    expect(await next).toBe('ok');
  });
});
