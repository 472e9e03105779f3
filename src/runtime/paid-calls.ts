// What a run paid for: the one definition of a paid, a reused and an unanswered model call every count is made from.
import { isCallEntry } from '../steps/services.ts';
import type { StoredCall, StoredJournalEntry } from '../store/index.ts';

/**
 * How a journaled call counts. `reused`: a fork copied it from the run it forked (paid there, replayed here).
 * `unanswered`: the model never answered — the host refused the connection, was busy, had no such model — so nothing
 * was spent (no tokens and no success). `paid`: every other call, judges' calls included, an invalid reply too.
 */
export type CallKind = 'paid' | 'reused' | 'unanswered';

/** Counts of a run's calls; tokens and model time are those of the paid calls only (reused ones were paid by their source). */
export interface CallCounts {
  paid: number;
  reused: number;
  unanswered: number;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
}

export const noCalls = (): CallCounts => ({ paid: 0, reused: 0, unanswered: 0, tokensIn: 0, tokensOut: 0, durationMs: 0 });

export function callKind(call: StoredCall, entry: Pick<StoredJournalEntry, 'reusedFrom'>): CallKind {
  if (entry.reusedFrom !== undefined) return 'reused';
  if (!call.success && call.tokensIn === 0 && call.tokensOut === 0) return 'unanswered';
  return 'paid';
}

/**
 * Every call an entry holds: its own, and the judges' calls kept inside entries of older runs. A fan-out item's kept
 * output (`resultEntry`) holds none.
 */
export function callsIn(entry: StoredJournalEntry): StoredCall[] {
  if (!isCallEntry(entry)) return [];
  return [entry.result, ...(entry.judges ?? [])];
}

/** Adds one call to `counts` (in place), by its kind. */
export function countCall(counts: CallCounts, call: StoredCall, kind: CallKind): CallCounts {
  counts[kind] += 1;
  if (kind === 'paid') {
    counts.tokensIn += call.tokensIn;
    counts.tokensOut += call.tokensOut;
    counts.durationMs += call.durationMs;
  }
  return counts;
}

/** The counts of journal entries (one entry per key, as a store reads them back). */
export function countCalls(entries: readonly StoredJournalEntry[], into: CallCounts = noCalls()): CallCounts {
  for (const entry of entries) for (const call of callsIn(entry)) countCall(into, call, callKind(call, entry));
  return into;
}

/** `19 paid, 1 reused, 2 unanswered`: the parts that are not zero, `paid` always; just `19` when all were paid. */
export function callCountText(counts: { paid: number; reused?: number | undefined; unanswered?: number | undefined }): string {
  if (!counts.reused && !counts.unanswered) return String(counts.paid);
  const parts = [`${counts.paid} paid`];
  if (counts.reused) parts.push(`${counts.reused} reused`);
  if (counts.unanswered) parts.push(`${counts.unanswered} unanswered`);
  return parts.join(', ');
}

/** The same text for a run's stored usage (`calls` are the paid ones). */
export const usageCallText = (usage: { calls: number; reused?: number | undefined; unanswered?: number | undefined }): string =>
  callCountText({ paid: usage.calls, reused: usage.reused, unanswered: usage.unanswered });
