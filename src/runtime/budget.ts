// The run's budget: tokens paid by its journal and time spent being driven, against the limits it was started with.
import type { Checkpoint, StoredJournalEntry } from '../store/index.ts';
import type { BudgetGuard } from '../steps/services.ts';
import { callsIn, countCalls, type CallCounts } from './paid-calls.ts';

/**
 * Usage is what the journal says was paid (a checkpoint may lag behind the journal after a crash), counted as
 * paid-calls.ts defines it. Time is the run's driven time: summed over its drives, so a crash, a stop or a wait
 * between drives never counts.
 */
export class RunBudget implements BudgetGuard {
  readonly #counts: CallCounts;
  /** A fork's token budget goes on from its source's: the reused calls' tokens count against it as they did there. */
  readonly #reusedTokens: number;
  readonly #limits: { tokens?: number; wallMs?: number };
  readonly #activeBefore: number;
  readonly #drivenSince: number;

  constructor(limits: { tokens?: number; wallMs?: number }, activeBefore: number, journal: readonly StoredJournalEntry[], now = Date.now()) {
    this.#limits = limits;
    this.#activeBefore = activeBefore;
    this.#drivenSince = now;
    this.#counts = countCalls(journal);
    this.#reusedTokens = journal.reduce((sum, entry) => sum + (entry.reusedFrom === undefined ? 0 : callsIn(entry).reduce((n, call) => n + call.tokensIn + call.tokensOut, 0)), 0);
  }

  /** Counts what new entries paid (each key once: the journal adds an entry written again only once). */
  add(entries: readonly StoredJournalEntry[]): void {
    countCalls(entries, this.#counts);
  }

  /** The checkpoint's usage, a copy: paid calls and their tokens, reused and unanswered ones apart. */
  usage(): Checkpoint['usage'] {
    const { paid, reused, unanswered, tokensIn, tokensOut } = this.#counts;
    return { tokensIn, tokensOut, calls: paid, ...(reused ? { reused } : {}), ...(unanswered ? { unanswered } : {}) };
  }

  /** The run's driven time in ms. */
  readonly clock = (): number => this.#activeBefore + (Date.now() - this.#drivenSince);

  exceeded(): string | null {
    const { tokens, wallMs } = this.#limits;
    const used = this.#counts.tokensIn + this.#counts.tokensOut + this.#reusedTokens;
    if (tokens !== undefined && used >= tokens) return `token budget of ${tokens} spent (${used} used)`;
    const elapsed = this.clock();
    if (wallMs !== undefined && elapsed >= wallMs) return `wall-time budget of ${wallMs} ms spent (${elapsed} ms)`;
    return null;
  }
}
