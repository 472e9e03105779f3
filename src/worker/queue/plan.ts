// What a queue job does with a run as the store has it: drive it now, look again later, or let the job go.
import { finalStatuses, type RunStatus } from '../../store/index.ts';

export interface RunState {
  status: RunStatus;
  /** A deadline or retry time, ms since the epoch; null when only a person moves the run. */
  wakeAt?: number | null | undefined;
}

export type JobPlan = { kind: 'drive' } | { kind: 'later'; at: number } | { kind: 'leave'; why: string };

/** Before a drive: the same rule as the embedded worker's `dueReason`, with "not yet" turned into a wake-up time. */
export function planJob(run: RunState, now: number): JobPlan {
  const wakeAt = run.wakeAt ?? null;
  if (finalStatuses.includes(run.status)) return { kind: 'leave', why: `already ${run.status}` };
  switch (run.status) {
    case 'running':
      return { kind: 'drive' };
    case 'waiting':
      if (wakeAt === null) return { kind: 'leave', why: 'waits for an event' };
      return wakeAt > now ? { kind: 'later', at: wakeAt } : { kind: 'drive' };
    case 'parked':
      return wakeAt !== null && wakeAt > now ? { kind: 'later', at: wakeAt } : { kind: 'drive' };
    default:
      return { kind: 'leave', why: `${run.status} (a person stopped it)` };
  }
}

/**
 * After a drive: a run handed back (`running`) goes to the next free worker now; one parked without a retry time is
 * offered again after `retryMs`, never in a tight loop.
 */
export function planAfterDrive(run: RunState, now: number, retryMs: number): Exclude<JobPlan, { kind: 'drive' }> {
  const plan = planJob(run, now);
  if (plan.kind !== 'drive') return plan;
  return { kind: 'later', at: run.status === 'parked' && (run.wakeAt ?? null) === null ? now + retryMs : now };
}
