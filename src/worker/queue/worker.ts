// The queue worker: takes BullMQ jobs (one per run) and drives each run against the shared store, until stopped.
import { Worker } from 'bullmq';
import { refusalBaseMs } from '../blocked.ts';
import { driveJob, type JobContext } from './drive-job.ts';
import { connectionOf, queueName, RunQueue, type RunJobData } from './queue.ts';
import { sweep } from './sweep.ts';
import type { QueueWorker, QueueWorkerEvent, QueueWorkerOptions } from './types.ts';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const { store, queue: target } = options;
  const lockMs = Math.max(1_000, options.lockMs ?? 30_000);
  const sweepMs = Math.max(0, options.sweepMs ?? 15_000);
  const emit = (event: QueueWorkerEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      /* a listener's failure must not stop the worker */
    }
  };
  const context: JobContext = {
    options,
    emit,
    active: new Set(),
    lockedRetryMs: Math.max(1, options.lockedRetryMs ?? 1_000),
    retryMs: Math.max(1, options.retryMs ?? 30_000),
    refusalRetryMs: Math.max(1, options.refusalRetryMs ?? refusalBaseMs),
  };
  const queue = new RunQueue(target);
  const worker = new Worker<RunJobData, string>(queueName, (job, token) => driveJob(job, token, context), {
    connection: connectionOf(target),
    prefix: target.prefix,
    concurrency: Math.max(1, options.concurrency ?? 4),
    // Takeover: a SIGKILLed worker stops renewing its locks; within lockMs they lapse, and the next stall check (any
    // live worker, every lockMs/4: a cheap script over the active list) puts the jobs back at the head of the wait
    // list, within 1.25 × lockMs of the death. The store's lease and epoch fence the dead driver.
    lockDuration: lockMs,
    stalledInterval: Math.max(250, Math.floor(lockMs / 4)),
    maxStalledCount: Math.max(1, options.maxStalledCount ?? 5),
  });
  worker.on('error', (error) => emit({ type: 'error', runId: null, message: `queue ${target.location}: ${messageOf(error)}` }));

  const sweepOnce = async (): Promise<number> => {
    try {
      return await sweep(store, queue);
    } catch (error) {
      emit({ type: 'error', runId: null, message: `cannot sweep ${store.location}: ${messageOf(error)}` });
      return 0;
    }
  };
  if (sweepMs > 0) void sweepOnce();
  const timer = sweepMs > 0 ? setInterval(() => void sweepOnce(), sweepMs) : undefined;

  return {
    sweep: sweepOnce,
    async stop() {
      clearInterval(timer);
      const closing = worker.close(); // takes no new job; resolves once the active ones settle
      for (const controller of context.active) controller.abort();
      await closing;
      await queue.close();
    },
  };
}
