// The journal in memory: one entry per call key, where a newer driver's entry always beats a stale driver's.
import type { StoredJournalEntry } from './record.ts';

/**
 * Entries in first-written order, indexed by key. A stale driver may land an entry after the driver that took its
 * run over; comparing epochs (an entry without one counts as 0) keeps the newer driver's result whatever the order.
 * Between equal epochs (one session writing a key twice) the later entry wins, as a rewrite would.
 */
export class Journal {
  /** The same array every reader sees as `record.journal`: kept current in place. */
  readonly entries: StoredJournalEntry[] = [];
  readonly #index = new Map<string, number>();

  constructor(entries: Iterable<StoredJournalEntry> = []) {
    for (const entry of entries) this.put(entry);
  }

  get(key: string): StoredJournalEntry | undefined {
    const at = this.#index.get(key);
    return at === undefined ? undefined : this.entries[at];
  }

  /** Keeps `entry` unless its key already holds an entry of a higher epoch; says whether it was kept. */
  put(entry: StoredJournalEntry): boolean {
    const at = this.#index.get(entry.key);
    if (at === undefined) {
      this.#index.set(entry.key, this.entries.length);
      this.entries.push(entry);
      return true;
    }
    const current = this.entries[at];
    if (current !== undefined && (current.epoch ?? 0) > (entry.epoch ?? 0)) return false;
    this.entries[at] = entry;
    return true;
  }
}
