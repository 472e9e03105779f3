// Cancel requests seen by polling the runs table: one timer per store instance, one query for every watched run.
import type { Db } from './db.ts';

interface Watch {
  runId: string;
  cancel: () => void;
}

/**
 * Polling rather than LISTEN/NOTIFY: LISTEN needs a connection held out of the pool for the store's whole life, and
 * a notification sent while that connection is down is lost, so a poll would be needed to catch up anyway. One
 * indexed query every 250 ms, only while something is watched, also sees a request left before watching began.
 */
export class PostgresCancelPoller {
  readonly #db: Db;
  readonly #s: string;
  readonly #intervalMs: number;
  readonly #watches = new Map<number, Watch>();
  #nextId = 0;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(db: Db, s: string, intervalMs = 250) {
    this.#db = db;
    this.#s = s;
    this.#intervalMs = intervalMs;
  }

  watch(runId: string, cancel: () => void): () => void {
    const id = this.#nextId++;
    this.#watches.set(id, { runId, cancel });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.#poll(), this.#intervalMs);
      this.#timer.unref(); // a watch must never keep a finished process alive
    }
    return () => {
      this.#watches.delete(id);
      this.#stopIfIdle();
    };
  }

  stop(): void {
    this.#watches.clear();
    this.#stopIfIdle();
  }

  async #poll(): Promise<void> {
    if (this.#polling) return; // a slow database must not pile queries up
    this.#polling = true;
    try {
      const runIds = [...new Set([...this.#watches.values()].map((watch) => watch.runId))];
      if (runIds.length === 0) return;
      const { rows } = await this.#db.query<{ run_id: string }>(
        `SELECT run_id FROM ${this.#s}.runs WHERE run_id = ANY($1::text[]) AND cancel_requested`,
        [runIds],
      );
      const requested = new Set(rows.map((row) => row.run_id));
      const due: Watch[] = [];
      for (const [id, watch] of this.#watches) {
        if (requested.has(watch.runId)) {
          this.#watches.delete(id);
          due.push(watch);
        }
      }
      this.#stopIfIdle();
      for (const watch of due) watch.cancel();
    } catch {
      // the database is out of reach: try again next tick; the driver's own writes report the outage
    } finally {
      this.#polling = false;
    }
  }

  #stopIfIdle(): void {
    if (this.#watches.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
