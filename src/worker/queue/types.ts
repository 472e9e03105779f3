// The queue worker's options and the events it reports (one per job taken, put off, left, refused or failed).
import type { DriveHooks } from '../../runtime/runs.ts';
import type { RunStatus, RunStore } from '../../store/index.ts';
import type { QueueTarget } from './url.ts';

export interface QueueWorkerOptions {
  /** The run store every worker shares (a PostgresStore: its epoch fences a stale driver's writes). */
  store: RunStore;
  /** The Redis BullMQ keeps its jobs in (see `parseQueueUrl`). */
  queue: QueueTarget;
  limiter?: DriveHooks['limiter'];
  hosts?: DriveHooks['hosts'];
  outage?: DriveHooks['outage'];
  /** How long a drive being stopped (`stop()`) waits for its calls in flight before cutting them off (default 30 s). */
  stopGraceMs?: number;
  /** Runs driven at once by this process (default 4). */
  concurrency?: number;
  /**
   * BullMQ's job lock, ms (default 30000; renewed every half of it): a dead worker's jobs go back to the queue once it
   * lapses, at the next stall check (every half of it). Give the store a lease no longer than this.
   */
  lockMs?: number;
  /** Times one job may be taken back from a dead worker before it fails instead (default 5). */
  maxStalledCount?: number;
  /** How often the store is swept for runs no job stands for, ms, starting at once (default 15000; 0: never). */
  sweepMs?: number;
  /** A run seen held by another driver is tried again after this, doubling each time up to 30 s (default 1000). */
  lockedRetryMs?: number;
  /** The store out of reach, or a parked run with no retry time: tried again after this (default 30000). */
  retryMs?: number;
  /** Where a run's relative module path is resolved from (a moved checkout); default process.cwd(). */
  cwd?: string;
  /** Ask the hosts for a never-driven run's models before its first drive (default true), as `harness run` does. */
  checkModels?: boolean;
  onEvent?: (event: QueueWorkerEvent) => void;
}

export type QueueWorkerEvent =
  | { type: 'take'; runId: string }
  /** A drive ended: the run's status as left (a run the worker stopped is handed back as `running`). */
  | { type: 'leave'; runId: string; status: RunStatus; wakeAt: number | null; cutOff?: string[] }
  /** The job waits in BullMQ's delayed set until `at`: a wake-up time, or a run held by another driver. */
  | { type: 'later'; runId: string; at: number; why: string }
  /** Nothing to drive (finished, waits for a person, gone): the job completes. */
  | { type: 'skip'; runId: string; why: string }
  /** Another driver took the run (the store refused this one's write): this drive stopped, the run is theirs. */
  | { type: 'fenced'; runId: string; message: string }
  /** The run cannot be driven as it is (WORKFLOW_LOAD, DEFINITION_CHANGED, CORRUPT_RUN, …): the job fails with the reason. */
  | { type: 'refuse'; runId: string; code: string; message: string }
  /** Something else went wrong (a drive, Redis, a sweep); the worker goes on. */
  | { type: 'error'; runId: string | null; message: string };

export interface QueueWorker {
  /** Offers every run of the store that needs a job to the queue now; resolves with how many were offered. */
  sweep(): Promise<number>;
  /** SIGTERM behaviour: takes no new job, stops every drive gracefully, hands the runs back to the queue. */
  stop(): Promise<void>;
}
