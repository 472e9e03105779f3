// Model calls paid across crashes, from the simulator's log of requests and the runs' journals: what was asked again
// after it was journaled, and whether each call paid more often than journaled was in flight when something died.
import { expect } from 'vitest';
import { isCallEntry } from '../../src/steps/services.ts';
import type { RunRecord } from '../../src/store/index.ts';

/** A request as the simulator received it: its journal request hash, when it arrived (ms since the epoch), from whom. */
export interface Paid {
  hash: string;
  at: number;
  /** Which worker process sent it, where the test tells them apart (one simulator each). */
  by?: number;
}

export interface Accounting {
  /** Calls paid more often than journaled. */
  repaid: number;
  /** Requests for calls already journaled, sent after the entry was written: a stale driver's, or a bug. */
  late: Paid[];
}

/**
 * Counts the calls paid again, and checks that every call paid more often than journaled was first sent no later than
 * `lastDisruption` (it was in flight when its driver died, froze or lost its store); returns those and the late requests.
 */
export function accountCalls(records: readonly RunRecord[], requests: readonly Paid[], lastDisruption: number): Accounting {
  const journal = records.flatMap((r) => r.journal).filter(isCallEntry); // kept fan-out outputs are no requests
  const late: Paid[] = [];
  for (const entry of journal) late.push(...requests.filter((r) => r.hash === entry.requestHash && r.at > Date.parse(entry.at)));
  const journaled = new Map<string, number>();
  for (const entry of journal) journaled.set(entry.requestHash, (journaled.get(entry.requestHash) ?? 0) + 1);
  const paid = new Map<string, { count: number; first: number }>();
  for (const r of requests) paid.set(r.hash, { count: (paid.get(r.hash)?.count ?? 0) + 1, first: Math.min(paid.get(r.hash)?.first ?? Infinity, r.at) });
  let repaid = 0;
  for (const [hash, { count, first }] of paid) {
    const extra = count - (journaled.get(hash) ?? 0);
    expect(extra, `request ${hash} paid without a journal entry`).toBeGreaterThanOrEqual(0);
    if (extra > 0) expect(first, `request ${hash} paid twice, first sent after the last crash, kill or freeze`).toBeLessThanOrEqual(lastDisruption);
    repaid += extra;
  }
  return { repaid, late };
}
