// The journal as a run's steps see it: replayable results by key, and appends that follow the checkpoint of their call.
import type { Journal, JournalEntry } from '../steps/services.ts';
import type { StoredJournalEntry } from '../store/index.ts';
import type { RunBudget } from './budget.ts';
import type { CommitQueue } from './commit-queue.ts';

/** What the journal needs of the commit queue: a call's mark, the wait for its checkpoint, the failure. */
type Commits = Pick<CommitQueue<unknown>, 'mark' | 'until' | 'fail'>;

/** Where a run's journal entries go, and what happens when the store refuses one. */
export interface JournalSink {
  append(entry: StoredJournalEntry): Promise<void>;
  /** The store lost or refused an append: the drive stops at its last checkpoint. */
  failed(error: unknown): void;
}

/**
 * A store's journal holds one entry per key already (where a key repeats, the newer epoch's entry won when it was
 * read); a replay needs the result, not the messages that were sent.
 */
export class RunJournal implements Journal {
  readonly #entries: Map<string, JournalEntry>;
  /** Entries a fork copied in stay marked when written again (a reused reply scored now): still not this run's call. */
  readonly #reusedFrom: Map<string, string>;
  readonly #queue: Commits;
  readonly #budget: RunBudget;
  readonly #sink: JournalSink;

  constructor(stored: readonly StoredJournalEntry[], queue: Commits, budget: RunBudget, sink: JournalSink) {
    this.#entries = new Map(stored.map(({ messages: _sent, ...replayable }) => [replayable.key, replayable]));
    this.#reusedFrom = new Map(stored.flatMap((entry) => (entry.reusedFrom === undefined ? [] : [[entry.key, entry.reusedFrom] as const])));
    this.#queue = queue;
    this.#budget = budget;
    this.#sink = sink;
  }

  get(key: string): JournalEntry | undefined {
    return this.#entries.get(key);
  }

  mark(): number {
    return this.#queue.mark;
  }

  async record(entry: JournalEntry, mark?: number): Promise<void> {
    // The checkpoint that started this call is written first: its keys (the step's pass) must be on disk before a
    // result is journaled under them, or a crash in between would pay for the call again.
    await this.#queue.until(mark ?? this.#queue.mark);
    // A key written again (a judged reply, now with its score) is the same call: paid and counted once.
    if (!this.#entries.has(entry.key)) this.#budget.add([entry]);
    this.#entries.set(entry.key, entry);
    const from = this.#reusedFrom.get(entry.key);
    try {
      await this.#sink.append(from === undefined ? entry : { ...entry, reusedFrom: from });
    } catch (error) {
      // A store that loses or refuses the append (out of reach, FENCED) is not a model failure: the drive stops at its
      // last checkpoint, and the call is made again on resume. Left to the step, the error would count as a failed
      // attempt and the run would move on without the reply it paid for.
      this.#queue.fail(error);
      this.#sink.failed(error);
      throw error;
    }
  }
}
