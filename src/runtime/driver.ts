// Drives one run's root actor: services bound, a checkpoint after every snapshot change, until it finishes or waits.
import { createActor, type AnyActorRef, type AnyEventObject, type AnyMachineSnapshot, type InspectionEvent, type Snapshot } from 'xstate';
import type { HostPool } from '../llm/pool.ts';
import { actorPath, bindServices, type CallEvent, type JournalEntry, type StepServices } from '../steps/services.ts';
import { waitingTag } from '../steps/wait-for.ts';
import type { PersistedSnapshot, Workflow } from '../steps/workflow.ts';
import type { RunHandle, RunRecord, RunStatus, TimelineEntry } from '../store/index.ts';

const timelineLimit = 1000;

export type DriveStart = { input: unknown } | { snapshot: PersistedSnapshot; event?: AnyEventObject };

export interface DriveOptions {
  handle: RunHandle;
  workflow: Workflow;
  start: DriveStart;
  pool: HostPool | null;
  /** Stops the run cleanly after a checkpoint (Ctrl-C); it can be resumed. */
  signal?: AbortSignal;
  /** Subscribes to cancel requests for this run (from another process); returns the unsubscribe function. */
  onCancelRequest?: (cancel: () => void) => () => void;
  /** Every inspection event of the run's actor system (for the Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
  onCall?: (event: CallEvent) => void;
  /** Called after each checkpoint with the record as written. */
  onCheckpoint?: (record: RunRecord) => void;
}

/** Flattens a state value into its active leaf paths (`review.security.deciding`). */
export function statePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => statePaths(child, `${prefix}${key}.`));
}

function isMachineSnapshot(snapshot: Snapshot<unknown>): snapshot is AnyMachineSnapshot {
  return typeof snapshot === 'object' && snapshot !== null && 'value' in snapshot && 'hasTag' in snapshot;
}

interface Activity {
  /** A child is doing work that will produce an event by itself (a model call, a sub-agent's call). */
  busy: boolean;
  timers: boolean;
  waiting: boolean;
}

/** What the actor tree is doing: a timer (backoff, deadline) alone keeps a run going only if nobody is waiting. */
function activity(ref: AnyActorRef, into: Activity = { busy: false, timers: false, waiting: false }): Activity {
  const snapshot = ref.getSnapshot() as Snapshot<unknown>;
  if (!isMachineSnapshot(snapshot)) return into;
  if (snapshot.hasTag(waitingTag)) into.waiting = true;
  for (const child of Object.values(snapshot.children) as (AnyActorRef | undefined)[]) {
    if (!child || (child.getSnapshot() as Snapshot<unknown>).status !== 'active') continue;
    if (isMachineSnapshot(child.getSnapshot() as Snapshot<unknown>)) activity(child, into);
    else if (child.src === 'sleepUntil') into.timers = true;
    else into.busy = true;
  }
  return into;
}

export async function drive(options: DriveOptions): Promise<RunRecord> {
  const { handle, workflow, start } = options;
  const record = handle.record;
  const journalIndex = new Map(record.journal.map((entry) => [entry.key, entry]));
  const drivenSince = Date.now();
  const activeBefore = record.activeMs;

  const services: StepServices = {
    seed: record.seed,
    limiter: options.pool,
    journal: {
      get: (key) => journalIndex.get(key) as JournalEntry | undefined,
      record: async (entry) => {
        journalIndex.set(entry.key, entry);
        record.journal.push(entry);
        for (const call of [entry.result, ...(entry.judges ?? [])]) {
          record.usage.tokensIn += call.tokensIn;
          record.usage.tokensOut += call.tokensOut;
          record.usage.calls += 1;
        }
        await handle.save();
      },
    },
    budget: {
      exceeded: () => {
        const { tokens, wallMs } = record.budget;
        const used = record.usage.tokensIn + record.usage.tokensOut;
        if (tokens !== undefined && used >= tokens) return `token budget of ${tokens} spent (${used} used)`;
        const elapsed = activeBefore + (Date.now() - drivenSince);
        if (wallMs !== undefined && elapsed >= wallMs) return `wall-time budget of ${wallMs} ms spent (${elapsed} ms)`;
        return null;
      },
    },
    ...(options.onCall ? { onCall: options.onCall } : {}),
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

  const actor = createActor(workflow.machine, {
    ...('input' in start ? { input: start.input } : { snapshot: start.snapshot as Snapshot<unknown> }),
    inspect: (event) => {
      if (event.type === '@xstate.snapshot' && isMachineSnapshot(event.snapshot as Snapshot<unknown>)) {
        const snapshot = event.snapshot as AnyMachineSnapshot;
        const entry: TimelineEntry = { at: new Date().toISOString(), actor: actorPath(event.actorRef as AnyActorRef), event: event.event.type };
        entry.state = statePaths(snapshot.value);
        record.timeline.push(entry);
        if (record.timeline.length > timelineLimit) record.timeline.splice(0, record.timeline.length - timelineLimit);
        schedule();
      }
      if (options.inspect) {
        try {
          options.inspect(event);
        } catch {
          /* an inspector's failure must never stop the run */
        }
      }
    },
  });
  bindServices(actor.system, services);

  function statusOf(snapshot: AnyMachineSnapshot): RunStatus {
    if (snapshot.status === 'done') return (snapshot.context as { flags?: string[] }).flags?.length ? 'flagged' : 'done';
    if (snapshot.status === 'error') return 'failed';
    const now = activity(actor);
    return !now.busy && (now.waiting || !now.timers) ? 'waiting' : 'running';
  }

  function checkpoint(): RunStatus {
    const snapshot = actor.getSnapshot() as AnyMachineSnapshot;
    record.snapshot = actor.getPersistedSnapshot() as PersistedSnapshot;
    record.activeMs = activeBefore + (Date.now() - drivenSince);
    const status = stopStatus ?? statusOf(snapshot);
    record.status = status;
    const flags = (snapshot.context as { flags?: unknown }).flags;
    record.flags = Array.isArray(flags) ? flags.map(String) : [];
    if (snapshot.status === 'done') record.output = snapshot.output;
    if (snapshot.status === 'error') record.error = snapshot.error instanceof Error ? snapshot.error.message : String(snapshot.error);
    return status;
  }

  const saved = () => options.onCheckpoint?.(record);

  // Snapshot changes of one tick share one checkpoint; writes in flight coalesce further in RunHandle.save().
  function schedule(): void {
    if (pending || stopped) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (stopped) return;
      if (checkpoint() !== 'running') return finish(null);
      handle.save().then(saved, (error: unknown) => finish(null, error));
    });
  }

  let finalSave: Promise<void> = Promise.resolve();

  /** Ends the drive: `as` overrides the status (stopped, cancelled); the snapshot is taken before the actor stops. */
  function finish(as: RunStatus | null, error?: unknown): void {
    if (stopped) return;
    if (as) stopStatus = as;
    stopped = true;
    unwatchCancel?.();
    options.signal?.removeEventListener('abort', onAbort);
    if (error === undefined) {
      checkpoint();
      finalSave = handle.save().then(saved);
    }
    actor.stop();
    if (error !== undefined) fail?.(error);
    else settle?.();
  }

  const onAbort = () => finish('stopped');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const unwatchCancel = options.onCancelRequest?.(() => finish('cancelled'));

  actor.subscribe({ error: () => schedule() }); // an errored machine must not crash the process (DESIGN.md)
  actor.start();
  if ('snapshot' in start && start.event) actor.send(start.event);
  if (options.signal?.aborted) finish('stopped');
  schedule();

  await settled;
  await finalSave;
  return record;
}
