// Drives one run's root actor: services provided, a checkpoint after every snapshot change, until it ends or waits.
import { createActor, type AnyActorRef, type AnyEventObject, type AnyMachineSnapshot, type InspectionEvent, type Snapshot } from 'xstate';
import { callsIn, countCalls, type CallCounts } from './paid-calls.ts';
import { actorPath, provideServices, type CallEvent, type ContextServices, type HostLimiter, type JournalEntry, type OutagePolicy, type StepServices } from '../steps/services.ts';
import type { HostSet } from '../llm/hosts.ts';
import type { CallCache } from '../steps/call-cache.ts';
import { sleepUntil } from '../steps/sleep-until.ts';
import { parkedTag, retryParkedEvent, waitingTag } from '../steps/wait-for.ts';
import type { PersistedSnapshot, Workflow } from '../steps/workflow.ts';
import { versionOf, type Checkpoint, type RunRecord, type RunSession, type RunStatus, type StoredJournalEntry, type TimelineEntry } from '../store/index.ts';
import { startRunSpan } from '../telemetry/run-span.ts';
import { contentEnabled, type TelemetryOptions } from '../telemetry/types.ts';

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

/** Flattens a state value into its active leaf paths (`review.security.deciding`). */
export function statePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, child]) => statePaths(child, `${prefix}${key}.`));
}

function isMachineSnapshot(snapshot: Snapshot<unknown>): snapshot is AnyMachineSnapshot {
  return typeof snapshot === 'object' && snapshot !== null && 'value' in snapshot && 'hasTag' in snapshot;
}

interface Activity {
  /** A child is doing work that will produce an event by itself (a model call, a sub-agent's call). */
  busy: boolean;
  waiting: boolean;
  parked: boolean;
  /** A timer outside parked steps and person waits is running (a backoff inside its outage window): the run moves on its own. */
  ticking: boolean;
  /** The earliest deadline of a running timer (backoff, wait deadline, a parked step's retry), ms since the epoch. */
  wakeAt: number | null;
}

function deadlineOf(ref: AnyActorRef): number | null {
  const snapshot: unknown = ref.getSnapshot();
  if (typeof snapshot !== 'object' || snapshot === null || !('input' in snapshot)) return null;
  const input = snapshot.input;
  return typeof input === 'object' && input !== null && 'until' in input && typeof input.until === 'number' ? input.until : null;
}

/**
 * What the actor tree is doing. A timer in a state that waits for a person (a deadline) or in a parked step (its retry
 * time) does not keep a run `running`; any other timer (a backoff) does: one branch backing off, or busy, while another
 * is parked or waits, still moves the run on by itself.
 */
function activity(ref: AnyActorRef, into: Activity = { busy: false, waiting: false, parked: false, ticking: false, wakeAt: null }): Activity {
  const snapshot: Snapshot<unknown> = ref.getSnapshot();
  if (!isMachineSnapshot(snapshot)) return into;
  const waiting = snapshot.hasTag(waitingTag);
  const parked = snapshot.hasTag(parkedTag);
  if (waiting) into.waiting = true;
  if (parked) into.parked = true;
  for (const child of Object.values<AnyActorRef | undefined>(snapshot.children)) {
    if (!child) continue;
    const childSnapshot: Snapshot<unknown> = child.getSnapshot();
    if (childSnapshot.status !== 'active') continue;
    if (isMachineSnapshot(childSnapshot)) activity(child, into);
    else if ('logic' in child && child.logic === sleepUntil) {
      const until = deadlineOf(child);
      if (until !== null && (into.wakeAt === null || until < into.wakeAt)) into.wakeAt = until;
      if (until !== null && !waiting && !parked) into.ticking = true;
    } else into.busy = true;
  }
  return into;
}

/** Every parked step in the tree is told to try again (a person's resume means "now", not "at the parked retry time"). */
function retryParked(ref: AnyActorRef): void {
  const snapshot: Snapshot<unknown> = ref.getSnapshot();
  if (!isMachineSnapshot(snapshot)) return;
  if (snapshot.hasTag(parkedTag) && ref._parent) ref.send({ type: retryParkedEvent });
  for (const child of Object.values<AnyActorRef | undefined>(snapshot.children)) if (child) retryParked(child);
}

function flagsIn(context: unknown): string[] {
  if (typeof context !== 'object' || context === null || !('flags' in context) || !Array.isArray(context.flags)) return [];
  return context.flags.map(String);
}

/**
 * The journal as steps see it. A store's journal holds one entry per key already (where a key repeats, the newer
 * epoch's entry won when it was read); a replay needs the result, not the messages that were sent.
 */
function journalIndex(entries: readonly StoredJournalEntry[]): Map<string, JournalEntry> {
  return new Map(entries.map(({ messages: _sent, ...replayable }) => [replayable.key, replayable]));
}

/** The checkpoint's usage: paid calls and their tokens, reused and unanswered ones apart (see paid-calls.ts). */
function usageOf(counts: CallCounts): Checkpoint['usage'] {
  const { paid, reused, unanswered, tokensIn, tokensOut } = counts;
  return { tokensIn, tokensOut, calls: paid, ...(reused ? { reused } : {}), ...(unanswered ? { unanswered } : {}) };
}

export async function drive(options: DriveOptions): Promise<RunRecord> {
  const { session, workflow, start } = options;
  const record = session.record;
  const version = versionOf(record);
  const journal = journalIndex(record.journal);
  const drivenSince = Date.now();
  const activeBefore = record.activeMs;
  // Usage is what the journal says was paid: a checkpoint may lag behind the journal after a crash.
  const counts = countCalls(record.journal);
  // Entries a fork copied in stay marked when written again (a reused reply scored now): still not this run's call.
  const reusedFrom = new Map(record.journal.flatMap((entry) => (entry.reusedFrom === undefined ? [] : [[entry.key, entry.reusedFrom] as const])));
  // A fork's token budget goes on from its source's: the reused calls' tokens count against it as they did there.
  const reusedTokens = record.journal.reduce((sum, entry) => sum + (entry.reusedFrom === undefined ? 0 : callsIn(entry).reduce((n, call) => n + call.tokensIn + call.tokensOut, 0)), 0);

  // Commits go one at a time; snapshot changes made meanwhile share the next one. `changes` counts snapshot
  // changes, `committed` the last change on disk, so a journal entry can wait for the state that led to its call.
  let changes = 0;
  let committed = 0;
  let inFlight: Promise<void> | null = null;
  let again = false;
  let failure: unknown = null;
  const waiters: { upTo: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let timeline: TimelineEntry[] = [];

  // Calls in flight: a graceful stop closes the gate and waits — at most `stopGraceMs` — for them to be journaled
  // before its checkpoint.
  let stopping = false;
  const inCalls = new Set<{ label: string }>();
  let drained: (() => void) | null = null;
  const gate = {
    closed: () => stopping,
    enter: (label = 'a call') => {
      const call = { label };
      inCalls.add(call);
      return () => {
        if (inCalls.delete(call) && inCalls.size === 0) drained?.();
      };
    },
  };

  // One span per drive, in the trace derived from the run id: a resumed run continues the same trace.
  const runSpan = startRunSpan({ runId: record.runId, workflow: workflow.id, epoch: record.epoch, resumed: 'snapshot' in start, content: contentEnabled(options.telemetry) });

  const services: StepServices = {
    telemetry: runSpan.telemetry,
    limiter: options.limiter,
    hosts: options.hosts ?? null,
    ...(options.context ? { context: options.context } : {}),
    runKey: record.runId,
    gate,
    ...(options.outage ? { outage: options.outage } : {}),
    journal: {
      get: (key) => journal.get(key),
      mark: () => changes,
      record: async (entry, mark) => {
        // The checkpoint that started this call is written first: its keys (the step's pass) must be on disk
        // before a result is journaled under them, or a crash in between would pay for the call again.
        await committedUpTo(mark ?? changes);
        // A key written again (a judged reply, now with its score) is the same call: paid and counted once.
        if (!journal.has(entry.key)) countCalls([entry], counts);
        journal.set(entry.key, entry);
        const from = reusedFrom.get(entry.key);
        try {
          await session.append(from === undefined ? entry : { ...entry, reusedFrom: from });
        } catch (error) {
          // A store that loses or refuses the append (out of reach, FENCED) is not a model failure: the drive stops at
          // its last checkpoint, and the call is made again on resume. Left to the step, the error would count as a
          // failed attempt and the run would move on without the reply it paid for.
          failure ??= error;
          settleWaiters();
          finish(null, error);
          throw error;
        }
      },
    },
    // Outages are timed on the run's driven time: a crash, a stop or a wait between drives never counts as outage.
    clock: () => activeBefore + (Date.now() - drivenSince),
    budget: {
      exceeded: () => {
        const { tokens, wallMs } = record.budget;
        const used = counts.tokensIn + counts.tokensOut + reusedTokens;
        if (tokens !== undefined && used >= tokens) return `token budget of ${tokens} spent (${used} used)`;
        const elapsed = activeBefore + (Date.now() - drivenSince);
        if (wallMs !== undefined && elapsed >= wallMs) return `wall-time budget of ${wallMs} ms spent (${elapsed} ms)`;
        return null;
      },
    },
    ...(options.onCall ? { onCall: options.onCall } : {}),
    ...(options.cache ? { cache: options.cache } : {}),
  };

  function committedUpTo(upTo: number): Promise<void> {
    if (failure !== null) return Promise.reject(failure);
    if (committed >= upTo) return Promise.resolve();
    return new Promise((resolve, reject) => waiters.push({ upTo, resolve, reject }));
  }

  function settleWaiters(): void {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (!waiter) continue;
      if (failure !== null) waiter.reject(failure);
      else if (committed >= waiter.upTo) waiter.resolve();
      else continue;
      waiters.splice(i, 1);
    }
  }

  let settle: (() => void) | undefined;
  let fail: ((error: unknown) => void) | undefined;
  const settled = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });

  let pending = false;
  let stopped = false;
  let stopStatus: RunStatus | null = null;

  const actor = createActor(provideServices(workflow.machine, services), {
    ...('input' in start ? { input: start.input } : { snapshot: start.snapshot }),
    inspect: (event) => {
      if (event.type === '@xstate.snapshot') {
        const snapshot: Snapshot<unknown> = event.snapshot;
        if (isMachineSnapshot(snapshot)) {
          timeline.push({ at: new Date().toISOString(), actor: actorPath(event.actorRef), event: event.event.type, state: statePaths(snapshot.value) });
          changes += 1;
          schedule();
        }
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
      usage: usageOf(counts),
      activeMs: activeBefore + (Date.now() - drivenSince),
      wakeAt: now.wakeAt,
      // Each checkpoint names the code it was written under: an upgrade moves it, in the same commit as the snapshot.
      ...(version !== undefined ? { version } : {}),
      ...(snapshot.status === 'done' ? { output: snapshot.output } : {}),
      ...(snapshot.status === 'error' ? { error: snapshot.error instanceof Error ? snapshot.error.message : String(snapshot.error) } : {}),
    };
  }

  /** Writes the state as of now (or `taken`, a checkpoint taken before the actor stopped). */
  function commit(taken?: Checkpoint): Promise<void> {
    if (inFlight && !taken) {
      again = true;
      return inFlight;
    }
    const upTo = changes;
    const cp = taken ?? checkpoint();
    const lines = timeline;
    timeline = [];
    const writing = session.commit(cp, lines).then(
      () => {
        committed = Math.max(committed, upTo);
        inFlight = null;
        options.onCheckpoint?.(record);
        settleWaiters();
        if (again) {
          again = false;
          return commit();
        }
        return undefined;
      },
      (error: unknown) => {
        inFlight = null;
        failure = error;
        settleWaiters();
        throw error;
      },
    );
    inFlight = writing;
    return writing;
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
      (inFlight ? commit() : commit(now)).catch((error: unknown) => finish(null, error));
    });
  }

  let finalSave: Promise<void> = Promise.resolve();

  /** Ends the drive: `as` overrides the status (stopped, cancelled); the snapshot is taken before the actor stops. */
  function finish(as: RunStatus | null, error?: unknown): void {
    if (stopped) return;
    if (as) stopStatus = as;
    stopped = true;
    clearTimeout(graceTimer);
    unwatchCancel?.();
    options.signal?.removeEventListener('abort', onAbort);
    if (error === undefined) {
      const last = checkpoint();
      const previous = inFlight ?? Promise.resolve();
      // The last commit waits for the one in flight, so the final state is the one left on disk.
      finalSave = previous.catch(() => undefined).then(() => {
        again = false;
        return commit(last);
      });
    }
    actor.stop();
    if (error !== undefined) fail?.(error);
    else settle?.();
  }

  // A graceful stop: nothing new is sent; once the calls in flight are journaled — or the grace has run out, cutting
  // off those still in flight (stopping the actor fires their signals) — the run is checkpointed `stopped`.
  let graceTimer: NodeJS.Timeout | undefined;
  const stopNow = (cutOff: string[]) => {
    if (stopped) return;
    finish('stopped');
    try {
      options.onStop?.({ cutOff });
    } catch {
      /* a listener's failure must never stop the stop */
    }
  };
  const onAbort = () => {
    stopping = true;
    if (inCalls.size === 0) return stopNow([]);
    drained = () => stopNow([]);
    graceTimer = setTimeout(() => stopNow([...inCalls].map((call) => call.label)), options.stopGraceMs ?? defaultStopGraceMs);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const unwatchCancel = options.onCancelRequest?.(() => finish('cancelled'));

  actor.subscribe({ error: () => schedule() }); // an errored machine must not crash the process (DESIGN.md)
  actor.start();
  if ('snapshot' in start && options.retryParked) retryParked(actor);
  if ('snapshot' in start && start.event) actor.send(start.event);
  if (options.signal?.aborted) stopNow([]);
  schedule();

  try {
    await settled;
    await finalSave;
  } catch (error) {
    runSpan.fail(error);
    throw error;
  }
  runSpan.end(record);
  return record;
}
