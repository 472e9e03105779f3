// The embedded worker: lists any RunStore and drives every run that needs it, a few at a time, until stopped.
import { hasCode, isHarnessError } from '../errors.ts';
import { noteBlocked, refusalBaseMs, refusalCapMs } from './blocked.ts';
import { planDue, type DueRun } from './due.ts';
import { assertModels, driveRun } from './drive.ts';
import { Holds } from './holds.ts';
import { Sleeper } from './sleeper.ts';
import type { Worker, WorkerEvent, WorkerOptions } from './types.ts';
/** Runs that just vanished or ended between the listing and the take: nothing to report. */
const quietCodes = ['RUN_LOCKED', 'RUN_FINISHED', 'RUN_NOT_FOUND'] as const;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function startWorker(options: WorkerOptions): Worker {
  const { store } = options;
  const pollMs = Math.max(1, options.pollMs ?? 1000);
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const emit = (event: WorkerEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      /* a listener's failure must not stop the worker */
    }
  };
  const holds = new Holds(options.refusalRetryMs ?? Math.max(refusalBaseMs, pollMs), refusalCapMs);
  const active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  const sleeper = new Sleeper();
  let stopping = false;

  async function drive(run: DueRun, controller: AbortController): Promise<void> {
    let taken = false;
    const take = () => {
      if (taken) return;
      taken = true;
      emit({ type: 'take', runId: run.runId, reason: run.reason });
    };
    try {
      if (run.reason === 'submitted' && options.checkModels !== false) await assertModels(store, await store.read(run.runId), options.cwd);
      const { status, wakeAt, cutOff } = await driveRun(store, run.runId, options, controller.signal, take);
      holds.clear(run.runId);
      emit({ type: 'leave', runId: run.runId, status, wakeAt, ...(cutOff ? { cutOff } : {}) });
    } catch (error) {
      const now = Date.now();
      if (quietCodes.some((code) => hasCode(error, code))) holds.pause(run.runId, 2 * pollMs, now);
      else if (isHarnessError(error) && !taken) {
        emit({ type: 'refuse', runId: run.runId, code: error.code, message: error.message, retryAt: holds.strike(run.runId, now) });
        await noteBlocked(store, run.runId, error, run.blocked).catch((noteError: unknown) =>
          emit({ type: 'error', runId: run.runId, message: `cannot note why it is refused: ${messageOf(noteError)}`, retryAt: null }),
        );
      } else emit({ type: 'error', runId: run.runId, message: messageOf(error), retryAt: holds.strike(run.runId, now) });
    }
  }

  function launch(run: DueRun): void {
    const controller = new AbortController();
    const done = drive(run, controller).finally(() => {
      active.delete(run.runId);
      sleeper.wake(); // a slot is free: look again at once
    });
    active.set(run.runId, { controller, done });
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let wakeAt = Date.now() + pollMs;
      try {
        const { runs } = await store.list();
        const now = Date.now();
        const plan = planDue(runs, now, (runId) => active.has(runId) || holds.held(runId, now));
        for (const run of plan.due) {
          if (stopping || active.size >= concurrency) break;
          launch(run);
        }
        if (plan.nextWakeAt !== null) wakeAt = Math.min(wakeAt, plan.nextWakeAt);
      } catch (error) {
        emit({ type: 'error', runId: null, message: `cannot list ${store.location}: ${messageOf(error)}`, retryAt: wakeAt });
      }
      if (!stopping) await sleeper.sleepUntil(wakeAt);
    }
  }

  const looping = loop();
  return {
    async stop() {
      stopping = true;
      sleeper.wake();
      await looping;
      for (const { controller } of active.values()) controller.abort();
      await Promise.all([...active.values()].map((drive) => drive.done));
    },
  };
}
