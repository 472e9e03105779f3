// The run's budget: tokens paid by its journal and time spent being driven, against the limits it was started with.
import type { Checkpoint, StoredJournalEntry } from '../store/index.ts';
import { isCallEntry, type BudgetGuard } from '../steps/services.ts';

type Usage = Checkpoint['usage'];
/** What a call paid. */
type Paid = { tokensIn: number; tokensOut: number; model: string };

/**
 * Usage is what the journal says was paid (a checkpoint may lag behind the journal after a crash), judges' calls kept
 * inside older entries included. Time is the run's driven time: summed over its drives, so a crash, a stop or a wait
 * between drives never counts.
 */
export class RunBudget implements BudgetGuard {
  readonly #usage: Usage = { tokensIn: 0, tokensOut: 0, calls: 0 };
  readonly #limits: { tokens?: number; wallMs?: number };
  readonly #activeBefore: number;
  readonly #drivenSince: number;

  constructor(limits: { tokens?: number; wallMs?: number }, activeBefore: number, paid: readonly StoredJournalEntry[], now = Date.now()) {
    this.#limits = limits;
    this.#activeBefore = activeBefore;
    this.#drivenSince = now;
    this.add(paid);
  }

  /** Adds what `entries` paid: each call, and the judges' calls kept inside entries of older runs. */
  add(entries: readonly { result: Paid; judges?: readonly Paid[] | undefined }[]): void {
    for (const entry of entries) {
      if (!isCallEntry(entry)) continue; // a kept output, not a call
      this.#count(entry.result);
      for (const judge of entry.judges ?? []) this.#count(judge);
    }
  }

  /** A copy of the usage so far, for a checkpoint. */
  usage(): Usage {
    return { ...this.#usage };
  }

  /** The run's driven time in ms. */
  readonly clock = (): number => this.#activeBefore + (Date.now() - this.#drivenSince);

  exceeded(): string | null {
    const { tokens, wallMs } = this.#limits;
    const used = this.#usage.tokensIn + this.#usage.tokensOut;
    if (tokens !== undefined && used >= tokens) return `token budget of ${tokens} spent (${used} used)`;
    const elapsed = this.clock();
    if (wallMs !== undefined && elapsed >= wallMs) return `wall-time budget of ${wallMs} ms spent (${elapsed} ms)`;
    return null;
  }

  #count(call: Paid): void {
    this.#usage.tokensIn += call.tokensIn;
    this.#usage.tokensOut += call.tokensOut;
    this.#usage.calls += 1;
  }
}
