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
}

/**
 * BullMQ refuses integer job ids (a run may be called `123`) and `:`. Run ids never hold a `.`, so `run.<id>` is one to
 * one with the run: while a job for the run exists (waiting, delayed or active), adding another is a no-op.
 */
export const jobIdOf = (runId: string): string => `run.${runId}`;

/**
 * A finished job is removed at once, or its id would block the run's next job (BullMQ ignores an add whose id a
 * completed job still holds). A failed job (a refused run) is kept an hour with its reason, then dropped so the
 * worker's sweep offers the run again.
 */
export const jobOptions = (runId: string, at?: number): JobsOptions => ({
  jobId: jobIdOf(runId),
  removeOnComplete: true,
  removeOnFail: { age: 3_600 },
  ...(at !== undefined && at > Date.now() ? { delay: at - Date.now() } : {}),
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

  /** Queues the run to be driven now, or at `at` (ms since the epoch); nothing happens while a job for it exists. */
  async enqueue(runId: string, at?: number): Promise<void> {
    await this.queue.add('drive', { runId }, jobOptions(runId, at));
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
