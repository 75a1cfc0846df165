/**
 * Shared transfers (dockerd's xfer package): at most N downloads (3) and uploads (5) at a
 * time across all operations, and one transfer per key however many pulls want it, each
 * watcher getting the progress from the moment it joined.
 */

/** A progress event of a transfer, told to every watcher. */
export interface TransferEvent {
  status: string;
  current?: number;
  total?: number;
}

export type Watcher = (e: TransferEvent) => void;

export class Semaphore {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** True if a slot is free right now (the caller would not wait). */
  get free(): boolean {
    return this.active < this.limit;
  }

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
  }
}

interface Running<T> {
  promise: Promise<T>;
  watchers: Set<Watcher>;
  last?: TransferEvent;
}

export class TransferManager {
  private readonly running = new Map<string, Running<unknown>>();

  /**
   * Runs `work` once per key at a time, within `slots`; "Waiting" is told while queued.
   * Later callers with the same key join the running transfer.
   */
  run<T>(key: string, slots: Semaphore | undefined, watcher: Watcher, work: (report: Watcher) => Promise<T>): Promise<T> {
    const cur = this.running.get(key) as Running<T> | undefined;
    if (cur) {
      cur.watchers.add(watcher);
      if (cur.last) watcher(cur.last);
      return cur.promise.finally(() => cur.watchers.delete(watcher));
    }
    const entry: Running<T> = { promise: undefined as unknown as Promise<T>, watchers: new Set([watcher]) };
    const report: Watcher = (e) => {
      entry.last = e;
      for (const w of entry.watchers) w(e);
    };
    entry.promise = (async () => {
      let release: (() => void) | undefined;
      try {
        if (slots) {
          if (!slots.free) report({ status: 'Waiting' });
          release = await slots.acquire();
        }
        return await work(report);
      } finally {
        release?.();
        this.running.delete(key);
      }
    })();
    this.running.set(key, entry as Running<unknown>);
    return entry.promise;
  }
}
