// What a run lends the harness's actors (journal, host limiter, budget, call listener), and how they reach them.
import { createActor, fromTransition, type AnyActorRef } from 'xstate';
import type { ContextWindows } from '../llm/context/windows.ts';
import type { HostSet } from '../llm/hosts.ts';
import type { CallCache } from './call-cache.ts';
import type { FanOutSlots } from './fan-out.ts';
import { placeLabel } from './labels.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';
import type { RunTelemetry } from '../telemetry/types.ts';

/**
 * One journaled model call: durable in the run's journal before the call's actor resolves. A scorer's call (a judge's)
 * is an entry of its own, keyed under the call it grades (`<key>/judge.<request hash>`).
 */
export interface JournalEntry {
  key: string;
  /** Hash of model + messages: a journaled result is reused only for the very same request. */
  requestHash: string;
  step: string;
  result: ModelResult;
  /** Judges' calls kept inside the entry they graded: runs journaled before judges had entries of their own. */
  judges?: ModelResult[];
  /** The messages sent, so a person (the inspector, `harness show`) can see what the model was asked. */
  messages?: ChatMessage[];
  at: string;
}

export interface Journal {
  get(key: string): JournalEntry | undefined;
  /**
   * A mark of the run's state as of now, taken when a call starts: `record` then waits only for the checkpoint that
   * holds this state (the call's keys), not for every change made since by other branches of the run.
   */
  mark?(): number;
  /**
   * Resolves once the entry is durable, after the checkpoint of `mark` (default: of the state as of now). A key written
   * again replaces its entry (a judged reply, first journaled before its judge was called, then with its score): it is
   * the same call, paid once and counted once.
   */
  record(entry: JournalEntry, mark?: number): Promise<void>;
}

/** The `model` of a journal entry that keeps a step's output rather than a call's result (a fan-out item's). */
const resultModelPrefix = 'result:';

/**
 * A finished item's output as a journal entry: the journal is the run's append-only log of what is durable by key, so
 * outputs kept there stay out of the checkpoint. It costs nothing and is no call (see `isCallEntry`).
 */
export function resultEntry(key: string, step: string, output: unknown): JournalEntry {
  return {
    key,
    requestHash: 'output',
    step,
    result: { content: JSON.stringify(output), model: `${resultModelPrefix}${step}`, tokensIn: 0, tokensOut: 0, durationMs: 0, ttftMs: null, success: true, retries: 0, score: null, metadata: { host: '' } },
    at: new Date().toISOString(),
  };
}

/** True for an entry of a call (a model's, a judge's, a tool's); false for a kept output (`resultEntry`). */
export function isCallEntry(entry: { result: { model: string } }): boolean {
  return !entry.result.model.startsWith(resultModelPrefix);
}

/** Limits concurrent calls per Ollama host; `acquire` resolves to a release function. */
export interface HostLimiter {
  acquire(host: string, signal?: AbortSignal): Promise<() => void>;
}

export interface BudgetGuard {
  /** A reason when the run's token or wall-time budget is spent, else null. */
  exceeded(): string | null;
}

/** `step` names the model step, prefixed by the sub-agent or fan-out item it runs in (`security/review`, `work[2]/implement`). */
export type CallEvent =
  | { type: 'call.start'; key: string; step: string; model: string; attempt: number }
  | { type: 'call.token'; key: string; piece: string }
  | { type: 'call.end'; key: string; step: string; result: ModelResult; replayed: boolean };

/** How long a step rides out an unreachable or overloaded host before the run is parked, and how often it retries then. */
export interface OutagePolicy {
  /** Retry with backoff (never spending retries or the ladder) until the outage has lasted this long; then park. */
  parkAfterMs: number;
  /** A parked step tries again after this long (a worker wakes it; `harness resume` waits out what is left). */
  retryParkedMs: number;
}

export const defaultOutagePolicy: OutagePolicy = Object.freeze({ parkAfterMs: 180_000, retryParkedMs: 60_000 });

/** How a run's calls are fitted to their models' windows. */
export interface ContextServices {
  /** Model windows and token calibration, shared by the runs of a process. */
  windows: ContextWindows;
  /** The workflow's limit on num_ctx (`defineWorkflow({ context: { maxNumCtx } })`). */
  maxNumCtx?: number;
}

/** Calls in flight, so a graceful stop can let them finish and be journaled before it checkpoints. */
export interface CallGate {
  /** True once the run is stopping: a call not yet sent waits for the stop instead of starting. */
  closed(): boolean;
  /**
   * Marks a call in flight, named for people (`answer/search`, `review (qwen2.5-coder:7b)`): a stop that cannot wait
   * for it says so. The returned function marks it done (journaled, or failed).
   */
  enter(label?: string): () => void;
}

export interface StepServices {
  /** Null outside a run store: every call is made, nothing is remembered. */
  journal: Journal | null;
  limiter: HostLimiter | null;
  budget: BudgetGuard | null;
  /** Several Ollama hosts: calls are routed and fail over among them (`OLLAMA_HOSTS`); null: the call's own host. */
  hosts?: HostSet | null;
  /** Key that keeps a run's calls to one model on one host while it is healthy. */
  runKey?: string;
  outage?: OutagePolicy;
  gate?: CallGate;
  onCall?: (event: CallEvent) => void;
  /** The run's span context (set by the driver): call and tool spans become its children. */
  telemetry?: RunTelemetry;
  /**
   * The run's driven time in ms (time spent being driven, summed over its drives); default: the wall clock. Outages are
   * measured on it, so time a run was not driven (after a crash, a stop, a wait) never counts towards parking it.
   */
  clock?: () => number;
  /** Replies kept across runs by request (evaluations, opt-in): consulted after the journal, before a call is paid. */
  cache?: CallCache;
  /** Model windows and the workflow's num_ctx limit; absent: the process's default windows, no limit. */
  context?: ContextServices;
  /** The call slots of the run's fan-outs of model steps (see `fanOutSlotsOf`); absent: no fan-out starts an item ahead. */
  fanOuts?: FanOutSlots;
}

/** What an actor started with plain `createActor` gets: its own calls, no journal, no limits, nothing shared. */
export const standaloneServices: StepServices = Object.freeze({ journal: null, limiter: null, budget: null });

/** The system id a run's services are registered under, in the run's own actor system. */
const servicesSystemId = 'harness.services';

/** An actor system, as XState hands it to every actor's logic. */
export type RunSystem = AnyActorRef['system'];

/** Holds a run's services as its snapshot's context; never started, never sent anything, never persisted. */
const servicesHolder = fromTransition((services: StepServices) => services, ({ input }: { input: StepServices }) => input);

function isStepServices(value: unknown): value is StepServices {
  return typeof value === 'object' && value !== null && 'journal' in value && 'limiter' in value && 'budget' in value;
}

/**
 * Lends `services` to every actor of `root`'s system — the root, its steps, sub-agents and fan-out items, whatever
 * machine they came from. Call it after `createActor` and before `start`. The machines themselves are shared by all
 * runs of a workflow, unchanged: nothing is copied or provided per run, and services reach actors through XState's
 * own system (`servicesOf(system)`), never module state.
 */
export function lendServices(root: AnyActorRef, services: StepServices): void {
  createActor(servicesHolder, { parent: root, systemId: servicesSystemId, input: services });
}

/** The holder of a run's services: not one of the run's actors, so inspectors and the timeline leave it out. */
export function isServicesHolder(ref: unknown): boolean {
  return typeof ref === 'object' && ref !== null && 'logic' in ref && ref.logic === servicesHolder;
}

/** The services of the run an actor belongs to (`system` from its logic's arguments); standalone outside a run. */
export function servicesOf(system: RunSystem): StepServices {
  const snapshot: unknown = system.get(servicesSystemId)?.getSnapshot();
  if (typeof snapshot !== 'object' || snapshot === null || !('context' in snapshot)) return standaloneServices;
  return isStepServices(snapshot.context) ? snapshot.context : standaloneServices;
}

/** The part of an actor ref that places it in its tree (XState's inspection events type refs without it). */
interface ActorNode {
  id: string;
  _parent?: ActorNode | undefined;
}

function isActorNode(ref: unknown): ref is ActorNode {
  return typeof ref === 'object' && ref !== null && 'id' in ref && typeof ref.id === 'string';
}

/**
 * Where a step's call runs, for people: the sub-agents and fan-out items between the root and the step, then the
 * step's id (`security/review`, `work[2]/implement`). `self` is the call's actor, whose parent is the step's own machine.
 */
export function stepLabel(self: AnyActorRef, step: string): string {
  const ids: string[] = [];
  for (let ref = self._parent?._parent; ref?._parent; ref = ref._parent) ids.unshift(ref.id);
  return placeLabel(ids, step, self._parent?.id);
}

/**
 * The actor's place in the run (`root/<invoke id>/<child id>`): built from invoke and spawn ids, which are stable
 * across restore. The root's own id is a session id, so it is always written `root`.
 */
export function actorPath(self: unknown): string {
  const ids: string[] = [];
  for (let ref = isActorNode(self) ? self : undefined; ref; ref = ref._parent) ids.unshift(ref._parent ? ref.id : 'root');
  return ids.length > 0 ? ids.join('/') : 'root';
}
