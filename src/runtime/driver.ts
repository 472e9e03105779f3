// Drives one run's root actor: services lent, a checkpoint after every snapshot change, until it ends or waits.
import { createActor, type AnyEventObject, type AnyMachineSnapshot, type InspectionEvent, type Snapshot } from 'xstate';
import { actorPath, isServicesHolder, lendServices, type CallEvent, type ContextServices, type HostLimiter, type OutagePolicy, type StepServices } from '../steps/services.ts';
import type { HostSet } from '../llm/hosts.ts';
import type { CallCache } from '../steps/call-cache.ts';
import { FanOutSlots } from '../steps/fan-out.ts';
import type { PersistedSnapshot, Workflow } from '../steps/workflow.ts';
import { versionOf, type Checkpoint, type RunRecord, type RunSession, type RunStatus, type TimelineEntry } from '../store/index.ts';
import { activity, isMachineSnapshot, retryParked, statePaths } from './activity.ts';
import { RunBudget } from './budget.ts';
import { CommitQueue } from './commit-queue.ts';
import { RunJournal } from './run-journal.ts';
import { StopGate } from './stop-gate.ts';
import { startRunSpan } from '../telemetry/run-span.ts';
import { contentEnabled, type TelemetryOptions } from '../telemetry/types.ts';

export { statePaths } from './activity.ts';

export type DriveStart = { input: unknown } | { snapshot: Snapshot<unknown>; event?: AnyEventObject };

/** A graceful stop waits this long for calls in flight, unless told otherwise (`stopGraceMs`, `--stop-grace-ms`). */
export const defaultStopGraceMs = 30_000;

/** How a graceful stop went. */
export interface StopReport {
  /** The calls still in flight when the grace ran out, named for people (`answer/search`): made again on resume. */
  cutOff: string[];
}

export interface DriveOptions {
  session: RunSession;
  workflow: Workflow;
  start: DriveStart;
  limiter: HostLimiter | null;
  /** Several Ollama hosts to route calls among; null: each call goes to its own configured host. */
  hosts?: HostSet | null;
  /** Model windows and the workflow's num_ctx limit; default: the process's windows, no limit. */
  context?: ContextServices;
  outage?: OutagePolicy;
  /**
   * Stops the run cleanly (Ctrl-C, SIGTERM): no new call starts, the calls in flight finish and are journaled, then
   * the run is checkpointed `stopped`. It can be resumed.
   */
  signal?: AbortSignal;
  /**
   * How long a graceful stop waits for the calls in flight, ms (default `defaultStopGraceMs`): past it they are cut
   * off (their signals fire) and the run is checkpointed `stopped` all the same; they are made again on resume.
   */
  stopGraceMs?: number;
  /** Called once when the run stops (signal): which calls, if any, were cut off and will be made again on resume. */
  onStop?: (report: StopReport) => void;
  /** Subscribes to cancel requests for this run (from another process); returns the unsubscribe function. */
  onCancelRequest?: (cancel: () => void) => () => void;
  /** Every inspection event of the run's actor system (for the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
  onCall?: (event: CallEvent) => void;
  /** Called after each checkpoint with the run as written. */
  onCheckpoint?: (record: RunRecord) => void;
  /** OpenTelemetry spans (API only: a no-op without a registered SDK); `content` opts in to prompts and replies. */
  telemetry?: TelemetryOptions;
  /**
   * A restored run's parked steps try their host again at once (a person's resume means "now"); otherwise each waits for
   * its own retry time (a worker's wake-up or takeover, an event sent to another branch). Default false.
   */
  retryParked?: boolean;
  /** Replies kept across runs by request (evaluations): consulted after the journal, before a call is paid. */
  cache?: CallCache;
}

function flagsIn(context: unknown): string[] {
  if (typeof context !== 'object' || context === null || !('flags' in context) || !Array.isArray(context.flags)) return [];
  return context.flags.map(String);
}

export async function drive(options: DriveOptions): Promise<RunRecord> {
  const { session, workflow, start } = options;
  const record = session.record;
  const version = versionOf(record);
  const budget = new RunBudget(record.budget, record.activeMs, record.journal);
  const gate = new StopGate();
  let timeline: TimelineEntry[] = [];

  // One span per drive, in the trace derived from the run id: a resumed run continues the same trace.
  const runSpan = startRunSpan({ runId: record.runId, workflow: workflow.id, epoch: record.epoch, resumed: 'snapshot' in start, content: contentEnabled(options.telemetry) });

  const commits = new CommitQueue<Checkpoint>(
    () => checkpoint(),
    (cp) => {
      const lines = timeline;
      timeline = [];
      return session.commit(cp, lines);
    },
    () => options.onCheckpoint?.(record),
  );
  const journal = new RunJournal(record.journal, commits, budget, { append: (entry) => session.append(entry), failed: (error) => finish(null, error) });

  const services: StepServices = {
    telemetry: runSpan.telemetry,
    limiter: options.limiter,
    hosts: options.hosts ?? null,
    ...(options.context ? { context: options.context } : {}),
    runKey: record.runId,
    gate,
    ...(options.outage ? { outage: options.outage } : {}),
    journal,
    // Outages are timed on the run's driven time: a crash, a stop or a wait between drives never counts as outage.
    clock: budget.clock,
    budget,
    ...(options.onCall ? { onCall: options.onCall } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
    fanOuts: new FanOutSlots(),
  };

  let settle: (() => void) | undefined;
  let fail: ((error: unknown) => void) | undefined;
  const settled = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });

  let pending = false;
  let stopped = false;
  let stopStatus: RunStatus | null = null;

  // One machine per workflow, shared by its runs: the run's services are lent to its actor system, not provided into a copy.
  const actor = createActor(workflow.machine, {
    ...('input' in start ? { input: start.input } : { snapshot: start.snapshot }),
    inspect: (event) => {
      if (event.type === '@xstate.snapshot') {
        const snapshot: Snapshot<unknown> = event.snapshot;
        if (isMachineSnapshot(snapshot)) {
          timeline.push({ at: new Date().toISOString(), actor: actorPath(event.actorRef), event: event.event.type, state: statePaths(snapshot.value) });
          commits.changed();
          schedule();
        }
      }
      if (options.inspect && !isServicesHolder(event.actorRef)) {
        try {
          options.inspect(event);
        } catch {
          /* an inspector's failure must never stop the run */
        }
      }
    },
  });

  function checkpoint(): Checkpoint {
    const snapshot: AnyMachineSnapshot = actor.getSnapshot();
    const now = activity(actor);
    let status: RunStatus;
    if (stopStatus) status = stopStatus;
    else if (snapshot.status === 'done') status = flagsIn(snapshot.context).length > 0 ? 'flagged' : 'done';
    else if (snapshot.status === 'error') status = 'failed';
    // Parked only when no branch can move on by itself: a call in flight or a backoff keeps the run running.
    else if (now.busy || now.ticking) status = 'running';
    else if (now.parked) status = 'parked';
    else status = 'waiting';
    const persisted: PersistedSnapshot = actor.getPersistedSnapshot();
    return {
      status,
      snapshot: persisted,
      flags: flagsIn(snapshot.context),
      usage: budget.usage(),
      activeMs: budget.clock(),
      wakeAt: now.wakeAt,
      // Each checkpoint names the code it was written under: an upgrade moves it, in the same commit as the snapshot.
      ...(version !== undefined ? { version } : {}),
      ...(snapshot.status === 'done' ? { output: snapshot.output } : {}),
      ...(snapshot.status === 'error' ? { error: snapshot.error instanceof Error ? snapshot.error.message : String(snapshot.error) } : {}),
    };
  }

  // Snapshot changes of one tick share one checkpoint.
  function schedule(): void {
    if (pending || stopped) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (stopped) return;
      const now = checkpoint();
      if (now.status !== 'running') return finish(null);
      (commits.inFlight ? commits.commit() : commits.commit(now)).catch((error: unknown) => finish(null, error));
    });
  }

  let finalSave: Promise<void> = Promise.resolve();

  /** Ends the drive: `as` overrides the status (stopped, cancelled); the snapshot is taken before the actor stops. */
  function finish(as: RunStatus | null, error?: unknown): void {
    if (stopped) return;
    if (as) stopStatus = as;
    stopped = true;
    gate.dispose();
    unwatchCancel?.();
    options.signal?.removeEventListener('abort', onAbort);
    // The last commit waits for the one in flight, so the final state is the one left on disk.
    if (error === undefined) finalSave = commits.last(checkpoint());
    actor.stop();
    if (error !== undefined) fail?.(error);
    else settle?.();
  }

  // A graceful stop: nothing new is sent; once the calls in flight are journaled — or the grace has run out, cutting
  // off those still in flight (stopping the actor fires their signals) — the run is checkpointed `stopped`.
  const stopNow = (cutOff: string[]) => {
    if (stopped) return;
    finish('stopped');
    try {
      options.onStop?.({ cutOff });
    } catch {
      /* a listener's failure must never stop the stop */
    }
  };
  const onAbort = () => gate.close(options.stopGraceMs ?? defaultStopGraceMs, stopNow);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const unwatchCancel = options.onCancelRequest?.(() => finish('cancelled'));

  lendServices(actor, services);
  actor.subscribe({ error: () => schedule() }); // an errored machine must not crash the process (DESIGN.md)
  actor.start();
  if ('snapshot' in start && options.retryParked) retryParked(actor);
  if ('snapshot' in start && start.event) actor.send(start.event);
  if (options.signal?.aborted) stopNow([]);
  schedule();

  // A chain, not awaits: a run in flight holds no suspended frame of drive (its locals live on in the closures above).
  return settled
    .then(() => finalSave)
    .then(
      () => {
        runSpan.end(record);
        return record;
      },
      (error: unknown) => {
        runSpan.fail(error);
        throw error;
      },
    );
}
