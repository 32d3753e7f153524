interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions<T> {
  /** Writes the items in one statement (one transaction); rejects when nothing was written. */
  write(items: T[]): Promise<void>;
  /**
   * Writes one item again after its group failed. That group may have committed anyway (its
   * connection lost during COMMIT), so an item found already written counts as written.
   */
  rewrite(item: T): Promise<void>;
  /** Statements running at once; items arriving while all are busy wait for the next one. */
  maxInFlight: number;
  /** Upper bound of one statement's items (at least one item). */
  maxItems: number;
  /** Upper bound of their summed size, when items differ in size (at least one item). */
  size?: { max: number; of: (item: T) => number };
}

/**
 * Group commit for single accepts: while `maxInFlight` inserts are running, newly accepted rows
 * queue and go together in the next multi-row INSERT. Under load one commit (one round trip, one
 * WAL flush) serves many requests; when idle a row is written at once. A caller resolves only
 * after its own row committed, so nothing is acknowledged before it is durable.
 *
 * The same grouping serves reads (the template lookup of sends by template): a statement starts
 * only after every item in it arrived, so each caller sees what was committed before it asked.
 */
export class GroupCommit<T> {
  private queue: Array<Waiter<T>> = [];
  private inFlight = 0;

  constructor(private readonly options: GroupCommitOptions<T>) {}

  /** Items waiting for a free statement. */
  get waiting(): number {
    return this.queue.length;
  }

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight += 1;
      void this.flush(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  private take(): Array<Waiter<T>> {
    const { maxItems, size } = this.options;
    let count = 0;
    let total = 0;
    while (count < this.queue.length && count < maxItems) {
      total += size?.of(this.queue[count].item) ?? 0;
      if (count > 0 && size !== undefined && total > size.max) {
        break;
      }
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  private async flush(batch: Array<Waiter<T>>): Promise<void> {
    try {
      await this.options.write(batch.map((w) => w.item));
      batch.forEach((w) => w.resolve());
    } catch {
      // Each row alone: one bad row (its tenant deleted meanwhile) must not fail its neighbours,
      // and rows a lost COMMIT stored are found written. A lone row's own error comes back.
      await Promise.all(batch.map((w) => this.options.rewrite(w.item).then(w.resolve, w.reject)));
    }
  }
}
