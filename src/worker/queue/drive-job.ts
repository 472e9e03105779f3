// One BullMQ job: read the run, then drive it with resumeWorkflow, put it off (a delayed job), or let the job go.
import { DelayedError, type Job } from 'bullmq';
import { hasCode, isHarnessError } from '../../errors.ts';
import { RunLockedError, type Blocked, type RunRecord } from '../../store/index.ts';
import { noteBlocked, refusalCapMs } from '../blocked.ts';
import { assertModels, driveRun } from '../drive.ts';
import { doublingMs } from '../holds.ts';
import { planAfterDrive, planJob } from './plan.ts';
import type { RunJobData } from './queue.ts';
import type { QueueWorkerEvent, QueueWorkerOptions } from './types.ts';

export interface JobContext {
  options: QueueWorkerOptions;
  emit: (event: QueueWorkerEvent) => void;
  /** Drives under way in this process, aborted by `stop()`. */
  active: Set<AbortController>;
  lockedRetryMs: number;
  retryMs: number;
  refusalRetryMs: number;
}

const lockedCapMs = 30_000;
/** A lease seen running out is tried again this long after, so the clocks of two machines need not agree to the ms. */
const leaseSlackMs = 25;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What a drive came to, decided before any job call, so the DelayedError thrown below is never caught by our own code. */
type Outcome =
  | { kind: 'done'; result: string }
  | { kind: 'later'; at: number; why: string; data?: Omit<RunJobData, 'runId'> }
  | { kind: 'refuse'; code: string; message: string; blocked: Blocked | undefined };

/**
 * Runs the job; resolves (job completed) or throws DelayedError (job put off). A refused run is put off too, with a
 * growing backoff and the reason noted on the run: a job that failed and stayed would block every later offer.
 */
export async function driveJob(job: Job<RunJobData>, token: string | undefined, context: JobContext): Promise<string> {
  const outcome = await decide(job, context);
  const { runId } = job.data;
  if (outcome.kind === 'done') return outcome.result;
  let later: Exclude<Outcome, { kind: 'done' | 'refuse' }>;
  if (outcome.kind === 'refuse') {
    const refused = (job.data.refused ?? 0) + 1;
    const retryAt = Date.now() + doublingMs(refused, context.refusalRetryMs, refusalCapMs);
    context.emit({ type: 'refuse', runId, code: outcome.code, message: outcome.message, retryAt });
    await noteBlocked(context.options.store, runId, outcome, outcome.blocked).catch((error: unknown) =>
      context.emit({ type: 'error', runId, message: `cannot note why it is refused: ${messageOf(error)}` }),
    );
    later = { kind: 'later', at: retryAt, why: `refused ${outcome.code}`, data: { refused } };
  } else {
    context.emit({ type: 'later', runId, at: outcome.at, why: outcome.why });
    later = outcome;
  }
  await job.updateData({ runId, ...later.data });
  // Once put off, a job is work under way, never fresh: when due it rejoins the wait list ahead of fresh submissions.
  if (Number(job.priority) > 0) await job.changePriority({ priority: 0 });
  await job.moveToDelayed(later.at, token);
  throw new DelayedError();
}

async function decide(job: Job<RunJobData>, context: JobContext): Promise<Outcome> {
  const { options, emit } = context;
  const { store } = options;
  const { runId } = job.data;
  let before: RunRecord;
  try {
    before = await store.read(runId);
  } catch (error) {
    if (hasCode(error, 'RUN_NOT_FOUND')) return skip(context, runId, 'no such run');
    if (hasCode(error, 'STORE_UNAVAILABLE')) return unavailable(context, runId, error);
    if (isHarnessError(error)) return { kind: 'refuse', code: error.code, message: error.message, blocked: undefined };
    throw error;
  }
  const plan = planJob(before, Date.now());
  if (plan.kind === 'leave') return skip(context, runId, plan.why);
  if (plan.kind === 'later') return { kind: 'later', at: plan.at, why: `${before.status} until then` };
  // A run never driven is checked against this worker's hosts first, as `harness run` does: a model no host has is
  // a refusal with the reason noted on the run, not calls that fail and escalate.
  if (before.snapshot === null && options.checkModels !== false) {
    try {
      await assertModels(store, before, options.cwd);
    } catch (error) {
      if (isHarnessError(error)) return { kind: 'refuse', code: error.code, message: error.message, blocked: before.blocked };
      throw error;
    }
  }

  const controller = new AbortController();
  context.active.add(controller);
  let taken = false;
  const take = () => {
    if (taken) return;
    taken = true;
    emit({ type: 'take', runId });
  };
  try {
    const { status, wakeAt, cutOff } = await driveRun(store, runId, options, controller.signal, take);
    emit({ type: 'leave', runId, status, wakeAt, ...(cutOff ? { cutOff } : {}) });
    const next = planAfterDrive({ status, wakeAt }, Date.now(), context.retryMs);
    return next.kind === 'later' ? { kind: 'later', at: next.at, why: status === 'running' ? 'handed back' : `${status} until then` } : { kind: 'done', result: status };
  } catch (error) {
    if (hasCode(error, 'RUN_LOCKED')) {
      // A live holder may let go any moment (tried again sooner and sooner apart); a dead one's lease runs out at
      // `until`, and the run is tried then, not a doubling later: that keeps a takeover within its bound.
      const locked = (job.data.locked ?? 0) + 1;
      const now = Date.now();
      const backoff = doublingMs(locked, context.lockedRetryMs, lockedCapMs);
      const until = error instanceof RunLockedError ? error.until : undefined;
      const wait = until === undefined ? backoff : Math.min(backoff, Math.max(0, until - now) + leaseSlackMs);
      return { kind: 'later', at: now + wait, why: 'held by another driver', data: { locked } };
    }
    if (hasCode(error, 'RUN_FINISHED') || hasCode(error, 'RUN_NOT_FOUND')) return skip(context, runId, error.message);
    if (hasCode(error, 'FENCED')) {
      emit({ type: 'fenced', runId, message: error.message });
      return { kind: 'done', result: 'fenced' };
    }
    if (hasCode(error, 'STORE_UNAVAILABLE')) return unavailable(context, runId, error);
    if (isHarnessError(error) && !taken) return { kind: 'refuse', code: error.code, message: error.message, blocked: before.blocked };
    emit({ type: 'error', runId, message: messageOf(error) });
    throw error;
  } finally {
    context.active.delete(controller);
  }
}

function skip(context: JobContext, runId: string, why: string): Outcome {
  context.emit({ type: 'skip', runId, why });
  return { kind: 'done', result: why };
}

/** The store is out of reach: the run stays as its last checkpoint left it, and the job comes back later. */
function unavailable(context: JobContext, runId: string, error: Error): Outcome {
  context.emit({ type: 'error', runId, message: error.message });
  return { kind: 'later', at: Date.now() + context.retryMs, why: 'run store unavailable' };
}
