// What a run lends the harness's actors (journal, host limiter, budget, call listener), and how they are handed in.
import type { AnyActorLogic, AnyActorRef, AnyStateMachine } from 'xstate';
import type { ContextWindows } from '../llm/context/windows.ts';
import type { HostSet } from '../llm/hosts.ts';
import type { CallCache } from './call-cache.ts';
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
}

/** What an actor started with plain `createActor` gets: its own calls, no journal, no limits, nothing shared. */
export const standaloneServices: StepServices = Object.freeze({ journal: null, limiter: null, budget: null });

const bindServices = Symbol('harness.bindServices');

/** Actor logic that needs a run's services: it carries the way to make a copy bound to them. */
export type ServiceLogic<TLogic extends AnyActorLogic> = TLogic & { readonly [bindServices]: (services: StepServices) => TLogic };

/**
 * Marks logic built from services: `make(standaloneServices)` is what plain `createActor` runs; the runtime swaps in
 * `make(runServices)` through `machine.provide`, so services travel through XState's API and never module state.
 */
export function serviceLogic<TLogic extends AnyActorLogic>(make: (services: StepServices) => TLogic): ServiceLogic<TLogic> {
  return Object.assign(make(standaloneServices), { [bindServices]: make });
}

function isServiceLogic(logic: AnyActorLogic): logic is ServiceLogic<AnyActorLogic> {
  return bindServices in logic;
}

function isMachine(logic: AnyActorLogic): logic is AnyStateMachine {
  return 'root' in logic && 'implementations' in logic;
}

/**
 * The machine with every harness actor in it, and in the machines it invokes by name, bound to `services`.
 * Logic invoked inline (not named in `setup({ actors })`) cannot be replaced: XState re-registers it on provide.
 */
export function provideServices(machine: AnyStateMachine, services: StepServices, seen = new Map<AnyStateMachine, AnyStateMachine>()): AnyStateMachine {
  const done = seen.get(machine);
  if (done) return done;
  seen.set(machine, machine); // a machine that invokes itself keeps its unbound self: bounded recursion
  const replaced: Record<string, AnyActorLogic> = {};
  for (const [name, entry] of Object.entries(machine.implementations.actors)) {
    // `setup({ actors })` also takes `{ src, input }` entries; only bare logic is ours to bind.
    if (!('transition' in entry)) continue;
    if (isServiceLogic(entry)) replaced[name] = entry[bindServices](services);
    else if (isMachine(entry)) {
      const bound = provideServices(entry, services, seen);
      if (bound !== entry) replaced[name] = bound;
    }
  }
  const result = Object.keys(replaced).length > 0 ? machine.provide({ actors: replaced }) : machine;
  seen.set(machine, result);
  return result;
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
