/**
 * Models a worker keeps loaded between jobs: loading a checkpoint (or measuring AdaIN styles) costs more than
 * stylizing one small photo, and a batch sends thousands of jobs for the same model. Least recently used entries are
 * dropped beyond `capacity`, but never while a running job holds them (with --concurrency > 1 two jobs may share one).
 */
export interface Disposable {
  dispose(): void;
}

interface Entry<T extends Disposable> {
  value: Promise<T>;
  users: number;
  lastUsed: number;
}

export class ModelCache<T extends Disposable> {
  private readonly entries = new Map<string, Entry<T>>();
  private clock = 0;

  constructor(private readonly capacity: number) {}

  /** Runs `use` with the model for `key` (loaded by `load` on first use); the model stays cached afterwards. */
  async with<R>(key: string, load: () => Promise<T>, use: (model: T) => Promise<R>): Promise<R> {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { value: load(), users: 0, lastUsed: 0 };
      this.entries.set(key, entry);
      // A failed load is not cached: the next job (or the retry) loads again.
      entry.value.catch(() => this.entries.get(key) === entry && this.entries.delete(key));
    }
    entry.users++;
    entry.lastUsed = ++this.clock;
    try {
      return await use(await entry.value);
    } finally {
      entry.users--;
      this.evict();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    while (this.entries.size > this.capacity) {
      const idle = [...this.entries].filter(([, e]) => e.users === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0];
      if (!idle) return;
      this.entries.delete(idle[0]);
      idle[1].value.then((m) => m.dispose(), () => undefined);
    }
  }

  /** Disposes every model (the worker is closing; no job runs any more). */
  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) await e.value.then((m) => m.dispose(), () => undefined);
  }
}
