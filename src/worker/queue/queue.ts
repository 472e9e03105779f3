// The run queue on BullMQ: one job per run to drive (its id derived from the run id), delayed jobs for wake-ups.
import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../store/errors.ts';
import type { QueueTarget } from './url.ts';

/** One queue for every run; the URL's prefix separates deployments (and tests) sharing a Redis. */
export const queueName = 'runs';

export interface RunJobData {
  runId: string;
  /** Times in a row the run was found held by another driver (each doubles the wait before the next try). */
  locked?: number;
  /** Times in a row the run was refused (its module failed to load, …): each doubles the wait, up to 10 minutes. */
  refused?: number;
}

/**
 * BullMQ refuses integer job ids (a run may be called `123`) and `:`. Run ids never hold a `.`, so `run.<id>` is one to
 * one with the run: while a job for the run exists (waiting, delayed or active), adding another is a no-op.
 */
export const jobIdOf = (runId: string): string => `run.${runId}`;

/**
 * The priority of a run never driven. BullMQ hands out its wait list (jobs of priority 0) before any prioritized job,
 * and a delayed job rejoins the list its priority names: so work already under way — a dead worker's run taken over
 * (BullMQ puts a stalled job back at the head of the wait list), a wake-up, a run put off or handed back — goes
 * first, and fresh submissions wait behind it however many there are. A fresh job that is put off loses its priority.
 */
export const freshPriority = 1;

/** How a run is offered: `fresh` for a run never driven (queued behind work under way), `at` to wait until then. */
export interface Offer {
  fresh: boolean;
  /** ms since the epoch; now when absent or past. */
  at?: number | undefined;
}

/**
 * A job is removed as soon as it ends, completed or failed: BullMQ ignores an add whose id a kept job still holds, so a
 * kept failed job would make every later offer of its run a silent no-op and leave the run with no driver. Why a run
 * is refused is noted on the run itself (its `blocked` field), where `ls`, `show` and the inspector read it.
 */
export const jobOptions = (runId: string, offer: Offer): JobsOptions => ({
  jobId: jobIdOf(runId),
  removeOnComplete: true,
  removeOnFail: true,
  ...(offer.fresh ? { priority: freshPriority } : {}),
  ...(offer.at !== undefined && offer.at > Date.now() ? { delay: offer.at - Date.now() } : {}),
});

/** BullMQ's connection options for a target: a worker's blocking connection must retry forever (BullMQ's rule). */
export const connectionOf = (target: QueueTarget) => ({ url: target.redisUrl, maxRetriesPerRequest: null });

/**
 * Asks the Redis of `target` for a PING on a connection that gives up at once: BullMQ's own connections retry forever
 * (as a worker's must), so they cannot tell an unreachable URL from a slow one. Resolves null, or the reason.
 */
export async function probeRedis(target: QueueTarget, timeoutMs = 5_000): Promise<string | null> {
  const client = new Redis(target.redisUrl, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: string | null = null;
  client.on('error', (error: Error) => {
    lastError = error.message;
  });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return lastError ?? (error instanceof Error ? error.message : String(error));
  } finally {
    client.disconnect();
  }
}

/** Enqueues runs: what `harness submit`, the worker's sweep and a drive that ends waiting use. */
export class RunQueue {
  readonly location: string;
  readonly queue: Queue<RunJobData>;

  constructor(readonly target: QueueTarget) {
    this.location = target.location;
    this.queue = new Queue<RunJobData>(queueName, { connection: connectionOf(target), prefix: target.prefix });
    // Without a listener an emitted connection error would end the process; the next command reports it instead.
    this.queue.on('error', () => undefined);
  }

  /** A queue whose Redis answered: a bad or unreachable URL fails here (StoreUnavailableError), not at the first job. */
  static async connect(target: QueueTarget, timeoutMs = 5_000): Promise<RunQueue> {
    const problem = await probeRedis(target, timeoutMs);
    if (problem !== null) throw new StoreUnavailableError(`the Redis queue at ${target.location} is unavailable: ${problem}`);
    return new RunQueue(target);
  }

  /** Queues the run to be driven (see Offer); nothing happens while a job for it exists. */
  async enqueue(runId: string, offer: Offer): Promise<void> {
    await this.queue.add('drive', { runId }, jobOptions(runId, offer));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
