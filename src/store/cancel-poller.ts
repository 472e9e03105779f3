// Cancel markers seen by polling: one timer per store instance serves every run it watches.
import { existsSync } from 'node:fs';

interface Watch {
  marker: string;
  cancel: () => void;
}

/** Polling, not fs.watch: the marker may be left by another process, and watch is unreliable on network disks. */
export class CancelPoller {
  readonly #intervalMs: number;
  readonly #watches = new Map<number, Watch>();
  #nextId = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs = 250) {
    this.#intervalMs = intervalMs;
  }

  /** Calls `cancel` once `marker` exists; the returned function stops watching. */
  watch(marker: string, cancel: () => void): () => void {
    const id = this.#nextId++;
    this.#watches.set(id, { marker, cancel });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#poll(), this.#intervalMs);
      this.#timer.unref(); // a watch must never keep a finished process alive
    }
    return () => {
      this.#watches.delete(id);
      this.#stopIfIdle();
    };
  }

  #poll(): void {
    const due: Watch[] = [];
    for (const [id, watch] of this.#watches) {
      if (existsSync(watch.marker)) {
        this.#watches.delete(id);
        due.push(watch);
      }
    }
    this.#stopIfIdle();
    for (const watch of due) watch.cancel();
  }

  #stopIfIdle(): void {
    if (this.#watches.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
