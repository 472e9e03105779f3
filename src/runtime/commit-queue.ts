// The run's commit queue: one checkpoint write at a time, changes made meanwhile share the next, and waiters for a change on disk.

/**
 * Counts snapshot changes and writes checkpoints one at a time: changes made while a write is in flight share the
 * next one. A journal entry waits (`until`) for the change that led to its call to be on disk, so a crash between the
 * two never leaves a paid call that no checkpoint can find. The first failure sticks: every waiter, present and
 * future, is refused with it.
 */
export class CommitQueue<TCheckpoint> {
  #changes = 0;
  #committed = 0;
  #inFlight: Promise<void> | null = null;
  #again = false;
  #failure: unknown = null;
  #failed = false;
  readonly #waiters: { upTo: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Takes the state as of now. */
  readonly #take: () => TCheckpoint;
  /** Writes one checkpoint; `onWritten` runs once it is on disk, before its waiters are told. */
  readonly #write: (checkpoint: TCheckpoint) => Promise<void>;
  readonly #onWritten: () => void;

  constructor(take: () => TCheckpoint, write: (checkpoint: TCheckpoint) => Promise<void>, onWritten: () => void = () => undefined) {
    this.#take = take;
    this.#write = write;
    this.#onWritten = onWritten;
  }

  /** Counts one snapshot change; returns the count. */
  changed(): number {
    this.#changes += 1;
    return this.#changes;
  }

  /** The count of changes as of now: what a call started now waits for (`until`). */
  get mark(): number {
    return this.#changes;
  }

  /** The write in flight, if any. */
  get inFlight(): Promise<void> | null {
    return this.#inFlight;
  }

  get failure(): { error: unknown } | null {
    return this.#failed ? { error: this.#failure } : null;
  }

  /** Resolves once change `upTo` is on disk; refused once a write (or the run's store) has failed. */
  until(upTo: number): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failure);
    if (this.#committed >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ upTo, resolve, reject }));
  }

  /** Records the first failure of the run's store: every waiter is refused with it. */
  fail(error: unknown): void {
    if (!this.#failed) {
      this.#failed = true;
      this.#failure = error;
    }
    this.#settle();
  }

  /**
   * Writes the state as of now — or `taken`, a checkpoint taken earlier (before the actor stopped), written even if
   * another is in flight. Without `taken`, a call made while a write is in flight is folded into one more write after it.
   */
  commit(taken?: TCheckpoint): Promise<void> {
    const running = this.#inFlight;
    if (running && taken === undefined) {
      this.#again = true;
      return running;
    }
    const upTo = this.#changes;
    const checkpoint = taken ?? this.#take();
    const writing = this.#write(checkpoint).then(
      () => {
        this.#committed = Math.max(this.#committed, upTo);
        this.#inFlight = null;
        this.#onWritten();
        this.#settle();
        if (this.#again) {
          this.#again = false;
          return this.commit();
        }
        return undefined;
      },
      (error: unknown) => {
        this.#inFlight = null;
        this.fail(error);
        throw error;
      },
    );
    this.#inFlight = writing;
    return writing;
  }

  /** The last write: after the one in flight (whatever became of it), so `last` is what is left on disk. */
  last(last: TCheckpoint): Promise<void> {
    const previous = this.#inFlight ?? Promise.resolve();
    return previous.catch(() => undefined).then(() => {
      this.#again = false;
      return this.commit(last);
    });
  }

  #settle(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i];
      if (!waiter) continue;
      if (this.#failed) waiter.reject(this.#failure);
      else if (this.#committed >= waiter.upTo) waiter.resolve();
      else continue;
      this.#waiters.splice(i, 1);
    }
  }
}
