// Model calls paid across crashes, from the simulator's log of requests and the runs' journals: nothing journaled is
// asked again, and a call paid more often than journaled was in flight when something died.
import { expect } from 'vitest';
import type { RunRecord } from '../../src/store/index.ts';

/** A request as the simulator received it: its journal request hash and when it arrived (ms since the epoch). */
export interface Paid {
  hash: string;
  at: number;
}

/**
 * Checks that no journaled call was asked again after it was journaled and that every call paid more often than
 * journaled was first sent no later than `lastDisruption`; returns how many calls were paid again.
 */
export function repaidCalls(records: readonly RunRecord[], requests: readonly Paid[], lastDisruption: number): number {
  const journal = records.flatMap((r) => r.journal);
  for (const entry of journal) {
    const later = requests.filter((r) => r.hash === entry.requestHash && r.at > Date.parse(entry.at));
    expect(later, `${entry.key} asked again after it was journaled`).toEqual([]);
  }
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
  return repaid;
}
