// The embedded worker's options and the events it reports (one per run taken up, left, refused, or failed).
import type { DriveHooks } from '../runtime/runs.ts';
import type { RunStatus, RunStore } from '../store/index.ts';

export interface WorkerOptions {
  /** Any RunStore: the worker lists it and drives every run that needs driving. */
  store: RunStore;
  limiter?: DriveHooks['limiter'];
  hosts?: DriveHooks['hosts'];
  outage?: DriveHooks['outage'];
  /** How long a drive being stopped (`stop()`) waits for its calls in flight before cutting them off (default 30 s). */
  stopGraceMs?: number;
  /** Longest sleep between two looks at the store, ms (default 1000); an earlier wake-up time shortens it. */
  pollMs?: number;
  /** Runs driven at once (default 4). */
  concurrency?: number;
  /** Where a run's relative module path is resolved from (a moved checkout); default process.cwd(). */
  cwd?: string;
  /** Ask the hosts for a submitted run's models before its first drive (default true), as `harness run` does. */
  checkModels?: boolean;
  onEvent?: (event: WorkerEvent) => void;
}

/** Why a run was due: never driven, its driver died, its deadline fell due, or its parked retry time came. */
export type DueReason = 'submitted' | 'orphaned' | 'deadline' | 'parked';

export type WorkerEvent =
  | { type: 'take'; runId: string; reason: DueReason }
  /**
   * A drive ended: the run's status as left (a run the worker stopped is handed back as `running`); `cutOff` names
   * the calls a stop cut off, made again by whoever drives the run next.
   */
  | { type: 'leave'; runId: string; status: RunStatus; wakeAt: number | null; cutOff?: string[] }
  /** The run cannot be driven as it is (WORKFLOW_LOAD, DEFINITION_CHANGED, CORRUPT_RUN, …): left untouched, retried at `retryAt`. */
  | { type: 'refuse'; runId: string; code: string; message: string; retryAt: number }
  /** Something else went wrong (listing the store, a drive's write); the worker goes on. */
  | { type: 'error'; runId: string | null; message: string; retryAt: number | null };

export interface Worker {
  /** SIGTERM behaviour: every drive stops gracefully (no new calls, in-flight ones journaled), then runs are handed back. */
  stop(): Promise<void>;
}
