// Limits on calls in flight: per Ollama host across a process's runs (HostPool), and the FIFO slots both are built on.
interface Waiter {
  grant: (release: () => void) => void;
}

/** At most `limit` holders at once; waiters are served first come, first served, and leave when their signal fires. */
export class Slots {
  readonly limit: number;
  #active = 0;
  readonly #waiting: Waiter[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a limit of calls must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /** Resolves to a release function once a slot is free; rejects with the signal's reason if it fires first. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#active < this.limit) {
      this.#active += 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next.grant(this.#releaser()); // the slot passes straight on
      else this.#active -= 1;
    };
  }
}

/**
 * Ollama serves OLLAMA_NUM_PARALLEL requests per model (default 1) and queues the rest without sending headers, so
 * a client-side timeout would count time spent in Ollama's queue. Queueing here instead keeps each call's timeout
 * about its own work, and keeps one busy run from starving the others (waiters are served first come, first served).
 */
export class HostPool {
  readonly #limit: number;
  readonly #hosts = new Map<string, Slots>();

  constructor(concurrencyPerHost: number) {
    if (!Number.isInteger(concurrencyPerHost) || concurrencyPerHost < 1) {
      throw new RangeError(`concurrency per host must be a positive integer, got ${concurrencyPerHost}`);
    }
    this.#limit = concurrencyPerHost;
  }

  get concurrency(): number {
    return this.#limit;
  }

  /** Resolves to a release function once a slot on `host` is free; rejects with the signal's reason if it fires first. */
  acquire(host: string, signal?: AbortSignal): Promise<() => void> {
    let slots = this.#hosts.get(host);
    if (!slots) {
      slots = new Slots(this.#limit);
      this.#hosts.set(host, slots);
    }
    return slots.acquire(signal);
  }
}
