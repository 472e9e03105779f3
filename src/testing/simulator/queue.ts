// The scheduler: slots per model (OLLAMA_NUM_PARALLEL), the bounded wait queue (OLLAMA_MAX_QUEUE) and model loading.
import type { ModelEntry } from './models.ts';
import { sleep, untilAborted } from './time.ts';

/** The wait queue is full: Ollama answers 503 busy. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
}

export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
}

interface Loaded {
  entry: ModelEntry;
  expiresAt: number;
}

export interface SchedulerOptions {
  numParallel: number;
  maxQueue: number;
  loadMs: number;
  /** Aborts every wait (slots and loads) when the server closes. */
  signal: AbortSignal;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #busy = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter[]>();
  #waiting = 0;
  readonly #loaded = new Map<string, Loaded>();
  readonly #loading = new Map<string, Promise<void>>();
  /** Bumped by unloadAll, so a load that finishes after a reset does not mark its model loaded. */
  #generation = 0;

  constructor(options: SchedulerOptions) {
    this.#options = options;
  }

  /** Requests waiting for a slot now, across all models. */
  get waiting(): number {
    return this.#waiting;
  }

  /**
   * Takes a slot of `model`, waiting (FIFO) while all are busy. Throws QueueFullError at once when `maxQueue`
   * requests already wait; rejects with the signal's reason when the caller goes away while waiting.
   */
  acquire(model: string, signal: AbortSignal): Promise<Release> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const queue = this.#waiters.get(model) ?? [];
    if ((this.#busy.get(model) ?? 0) < this.#options.numParallel && queue.length === 0) {
      return Promise.resolve(this.#take(model));
    }
    if (this.#waiting >= this.#options.maxQueue) return Promise.reject(new QueueFullError());
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const index = queue.indexOf(waiter);
        if (index >= 0) {
          queue.splice(index, 1);
          this.#waiting--;
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      this.#waiters.set(model, queue);
      this.#waiting++;
    });
  }

  #take(model: string): Release {
    this.#busy.set(model, (this.#busy.get(model) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.get(model)?.shift();
      if (next) {
        // The slot passes straight to the next waiter, so nobody can jump the queue.
        this.#waiting--;
        next.grant(this.#hand(model));
      } else {
        this.#busy.set(model, (this.#busy.get(model) ?? 1) - 1);
      }
    };
  }

  #hand(model: string): Release {
    this.#busy.set(model, (this.#busy.get(model) ?? 1) - 1);
    return this.#take(model);
  }

  /** Whether `entry` is loaded now (expired models unload lazily). */
  isLoaded(entry: ModelEntry): boolean {
    const loaded = this.#loaded.get(entry.fullName);
    if (loaded && loaded.expiresAt <= Date.now()) this.#loaded.delete(entry.fullName);
    return this.#loaded.has(entry.fullName);
  }

  /**
   * Loads `entry` if needed, paying loadMs once: concurrent callers share one load. A caller that goes away
   * stops waiting, but the load goes on, as Ollama's does.
   */
  async ensureLoaded(entry: ModelEntry, signal: AbortSignal): Promise<void> {
    if (this.isLoaded(entry)) {
      this.#inUse(entry);
      return;
    }
    let loading = this.#loading.get(entry.fullName);
    if (!loading) {
      const generation = this.#generation;
      loading = sleep(this.#options.loadMs, this.#options.signal).then(
        () => {
          this.#loading.delete(entry.fullName);
          if (generation === this.#generation) this.#loaded.set(entry.fullName, { entry, expiresAt: Infinity });
        },
        () => {
          this.#loading.delete(entry.fullName);
        },
      );
      this.#loading.set(entry.fullName, loading);
    }
    await Promise.race([loading, untilAborted(signal)]);
    if (signal.aborted) throw signal.reason;
    this.#inUse(entry);
  }

  /** A model serving a request does not expire until `keepAlive` is called when the request ends. */
  #inUse(entry: ModelEntry): void {
    this.#loaded.set(entry.fullName, { entry, expiresAt: Infinity });
  }

  /** Starts the keep_alive countdown of a loaded model; 0 unloads it now. */
  keepAlive(entry: ModelEntry, keepAliveMs: number): void {
    if (!this.#loaded.has(entry.fullName)) return;
    if (keepAliveMs <= 0) {
      this.#loaded.delete(entry.fullName);
      return;
    }
    this.#loaded.set(entry.fullName, { entry, expiresAt: Date.now() + keepAliveMs });
  }

  unload(entry: ModelEntry): void {
    this.#loaded.delete(entry.fullName);
  }

  unloadAll(): void {
    this.#generation++;
    this.#loaded.clear();
  }

  /** Loaded models, longest time left first (as /api/ps sorts them). */
  loaded(): { entry: ModelEntry; expiresAt: number }[] {
    const now = Date.now();
    for (const [name, loaded] of this.#loaded) if (loaded.expiresAt <= now) this.#loaded.delete(name);
    return [...this.#loaded.values()].sort((a, b) => b.expiresAt - a.expiresAt);
  }
}
