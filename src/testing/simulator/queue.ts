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
  /** The context the runner was started with: a request for another one reloads the model, as in Ollama. */
  numCtx: number;
}

export interface SchedulerOptions {
  numParallel: number;
  maxQueue: number;
  loadMs: number;
  /** Aborts every wait (slots and loads) when the server closes. */
  signal: AbortSignal;
  /** The num_ctx a model is loaded with when the request names none (its Modelfile's, else the server default). */
  defaultNumCtx: (entry: ModelEntry) => number;
  /** Told of every load, reloads included. */
  onLoad?: () => void;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #busy = new Map<string, number>();
  readonly #waiters = new Map<string, Waiter[]>();
  #waiting = 0;
  readonly #loaded = new Map<string, Loaded>();
  /** Loads under way, by model and num_ctx. */
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
   * Loads `entry` with `numCtx` if it is not loaded with it (a loaded model asked for another num_ctx is reloaded),
   * paying loadMs once: concurrent callers share one load. Without `numCtx` a loaded model is taken as it is. A caller
   * that goes away stops waiting, but the load goes on, as Ollama's does.
   */
  async ensureLoaded(entry: ModelEntry, signal: AbortSignal, numCtx?: number): Promise<void> {
    const current = this.isLoaded(entry) ? this.#loaded.get(entry.fullName) : undefined;
    const wanted = numCtx ?? current?.numCtx ?? this.#options.defaultNumCtx(entry);
    if (current?.numCtx === wanted) {
      this.#inUse(entry, wanted);
      return;
    }
    const key = `${entry.fullName}|${wanted}`;
    let loading = this.#loading.get(key);
    if (!loading) {
      const generation = this.#generation;
      this.#options.onLoad?.();
      loading = sleep(this.#options.loadMs, this.#options.signal).then(
        () => {
          this.#loading.delete(key);
          if (generation === this.#generation) this.#loaded.set(entry.fullName, { entry, expiresAt: Infinity, numCtx: wanted });
        },
        () => {
          this.#loading.delete(key);
        },
      );
      this.#loading.set(key, loading);
    }
    await Promise.race([loading, untilAborted(signal)]);
    if (signal.aborted) throw signal.reason;
    this.#inUse(entry, wanted);
  }

  /** A model serving a request does not expire until `keepAlive` is called when the request ends. */
  #inUse(entry: ModelEntry, numCtx: number): void {
    this.#loaded.set(entry.fullName, { entry, expiresAt: Infinity, numCtx });
  }

  /** Starts the keep_alive countdown of a loaded model; 0 unloads it now. */
  keepAlive(entry: ModelEntry, keepAliveMs: number): void {
    const loaded = this.#loaded.get(entry.fullName);
    if (!loaded) return;
    if (keepAliveMs <= 0) {
      this.#loaded.delete(entry.fullName);
      return;
    }
    this.#loaded.set(entry.fullName, { ...loaded, expiresAt: Date.now() + keepAliveMs });
  }

  unload(entry: ModelEntry): void {
    this.#loaded.delete(entry.fullName);
  }

  unloadAll(): void {
    this.#generation++;
    this.#loaded.clear();
  }

  /** Loaded models, longest time left first (as /api/ps sorts them). */
  loaded(): { entry: ModelEntry; expiresAt: number; numCtx: number }[] {
    const now = Date.now();
    for (const [name, loaded] of this.#loaded) if (loaded.expiresAt <= now) this.#loaded.delete(name);
    return [...this.#loaded.values()].sort((a, b) => b.expiresAt - a.expiresAt);
  }
}
