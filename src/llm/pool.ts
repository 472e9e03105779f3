// Per-host concurrency: how many calls this process sends to one Ollama server at once, across every run.
interface Waiter {
  grant: (release: () => void) => void;
}

/**
 * Ollama serves OLLAMA_NUM_PARALLEL requests per model (default 1) and queues the rest without sending headers, so
 * a client-side timeout would count time spent in Ollama's queue. Queueing here instead keeps each call's timeout
 * about its own work, and keeps one busy run from starving the others (waiters are served first come, first served).
 */
export class HostPool {
  readonly #limit: number;
  readonly #active = new Map<string, number>();
  readonly #waiting = new Map<string, Waiter[]>();

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
    if (signal?.aborted) return Promise.reject(signal.reason);
    const active = this.#active.get(host) ?? 0;
    if (active < this.#limit) {
      this.#active.set(host, active + 1);
      return Promise.resolve(this.#releaser(host));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const queue = this.#waiting.get(host) ?? [];
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const queue = this.#waiting.get(host);
      if (queue) queue.push(waiter);
      else this.#waiting.set(host, [waiter]);
    });
  }

  #releaser(host: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.get(host)?.shift();
      if (next) next.grant(this.#releaser(host)); // the slot passes straight on
      else this.#active.set(host, (this.#active.get(host) ?? 1) - 1);
    };
  }
}
