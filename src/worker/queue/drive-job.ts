// One BullMQ job: read the run, then drive it with resumeWorkflow, put it off (a delayed job), or let the job go.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { hasCode, isHarnessError } from '../../errors.ts';
import type { RunRecord } from '../../store/index.ts';
import { assertModels, driveRun } from '../drive.ts';
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
}

const lockedCapMs = 30_000;
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What a drive came to, decided before any job call, so the DelayedError thrown below is never caught by our own code. */
type Outcome =
  | { kind: 'done'; result: string }
  | { kind: 'later'; at: number; why: string; locked?: number }
  | { kind: 'refuse'; code: string; message: string };

/** Runs the job; resolves (job completed), or throws DelayedError (job put off) or UnrecoverableError (job failed). */
export async function driveJob(job: Job<RunJobData>, token: string | undefined, context: JobContext): Promise<string> {
  const outcome = await decide(job, context);
  const { runId } = job.data;
  if (outcome.kind === 'done') return outcome.result;
  if (outcome.kind === 'refuse') {
    context.emit({ type: 'refuse', runId, code: outcome.code, message: outcome.message });
    throw new UnrecoverableError(`${outcome.code}: ${outcome.message}`);
  }
  context.emit({ type: 'later', runId, at: outcome.at, why: outcome.why });
  await job.updateData({ runId, ...(outcome.locked !== undefined ? { locked: outcome.locked } : {}) });
  await job.moveToDelayed(outcome.at, token);
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
    if (isHarnessError(error)) return { kind: 'refuse', code: error.code, message: error.message };
    throw error;
  }
  const plan = planJob(before, Date.now());
  if (plan.kind === 'leave') return skip(context, runId, plan.why);
  if (plan.kind === 'later') return { kind: 'later', at: plan.at, why: `${before.status} until then` };
  // A run never driven is checked against this worker's hosts first, as `harness run` does: a model no host has is
  // a refusal with the reason on the job, not calls that fail and escalate.
  if (before.snapshot === null && options.checkModels !== false) {
    try {
      await assertModels(before, options.cwd);
    } catch (error) {
      if (isHarnessError(error)) return { kind: 'refuse', code: error.code, message: error.message };
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
      const locked = (job.data.locked ?? 0) + 1;
      const at = Date.now() + Math.min(lockedCapMs, context.lockedRetryMs * 2 ** (locked - 1));
      return { kind: 'later', at, why: 'held by another driver', locked };
    }
    if (hasCode(error, 'RUN_FINISHED') || hasCode(error, 'RUN_NOT_FOUND')) return skip(context, runId, error.message);
    if (hasCode(error, 'FENCED')) {
      emit({ type: 'fenced', runId, message: error.message });
      return { kind: 'done', result: 'fenced' };
    }
    if (hasCode(error, 'STORE_UNAVAILABLE')) return unavailable(context, runId, error);
    if (isHarnessError(error) && !taken) return { kind: 'refuse', code: error.code, message: error.message };
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
