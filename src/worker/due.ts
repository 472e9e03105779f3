// Which runs a worker should drive now, and when it should look again: a pure function of the store's listing.
import type { Blocked, RunSummary } from '../store/index.ts';
import type { DueReason } from './types.ts';

export interface DueRun {
  runId: string;
  reason: DueReason;
  /** Oldest first: a deadline or retry time, else the creation time. */
  since: number;
  /** Why workers refused it last, as listed (a refusal that says the same again is not written again). */
  blocked?: Blocked;
}

export interface DuePlan {
  due: DueRun[];
  /** The earliest future wake-up time among waiting/parked runs, or null. */
  nextWakeAt: number | null;
}

/** Why a run needs driving now, or null. Stopped runs (a person stopped them) and final ones are never driven. */
export function dueReason(run: RunSummary, now: number): DueReason | null {
  if (run.status === 'running') return run.activeMs === 0 ? 'submitted' : 'orphaned';
  const wakeAt = run.wakeAt ?? null;
  if (run.status === 'waiting') return wakeAt !== null && wakeAt <= now ? 'deadline' : null;
  if (run.status === 'parked') return wakeAt === null || wakeAt <= now ? 'parked' : null;
  return null;
}

/** `skip` holds the runs this worker drives already or has put off (a lock seen held, a refusal's backoff). */
export function planDue(runs: readonly RunSummary[], now: number, skip: (runId: string) => boolean): DuePlan {
  const due: DueRun[] = [];
  let nextWakeAt: number | null = null;
  for (const run of runs) {
    if (skip(run.runId)) continue;
    const reason = dueReason(run, now);
    const wakeAt = run.wakeAt ?? null;
    if (reason) due.push({ runId: run.runId, reason, since: wakeAt ?? Date.parse(run.createdAt), ...(run.blocked ? { blocked: run.blocked } : {}) });
    else if ((run.status === 'waiting' || run.status === 'parked') && wakeAt !== null && wakeAt > now) {
      if (nextWakeAt === null || wakeAt < nextWakeAt) nextWakeAt = wakeAt;
    }
  }
  due.sort((a, b) => a.since - b.since || a.runId.localeCompare(b.runId));
  return { due, nextWakeAt };
}
