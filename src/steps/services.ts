// What a run lends its actors: the step journal, per-host concurrency, the budget, and a call listener.
import type { ActorSystem, ActorSystemInfo, AnyActorRef } from 'xstate';
import type { ModelResult } from '../llm/types.ts';

/** One journaled model call: written to the run file before the call's actor resolves. */
export interface JournalEntry {
  key: string;
  /** Hash of model + messages: a journaled result is reused only for the very same request. */
  requestHash: string;
  step: string;
  result: ModelResult;
  /** The judges' own calls, when the step's scorer made any (their tokens count too). */
  judges?: ModelResult[];
  at: string;
}

export interface Journal {
  get(key: string): JournalEntry | undefined;
  /** Resolves once the entry is durable in the run file. */
  record(entry: JournalEntry): Promise<void>;
}

/** Limits concurrent calls per Ollama host; `acquire` resolves to a release function. */
export interface HostLimiter {
  acquire(host: string, signal?: AbortSignal): Promise<() => void>;
}

export interface BudgetGuard {
  /** A reason when the run's token or wall-time budget is spent, else null. */
  exceeded(): string | null;
}

/** `step` names the model step, prefixed by the sub-agent or fan-out item it runs in (`security/review`, `work.2/implement`). */
export type CallEvent =
  | { type: 'call.start'; key: string; step: string; model: string; attempt: number }
  | { type: 'call.token'; key: string; piece: string }
  | { type: 'call.end'; key: string; step: string; result: ModelResult; replayed: boolean };

export interface StepServices {
  journal: Journal;
  limiter: HostLimiter | null;
  budget: BudgetGuard | null;
  /** Seeds backoff jitter so a run's timing decisions are reproducible. */
  seed: number;
  onCall?: (event: CallEvent) => void;
}

export function memoryJournal(): Journal {
  const entries = new Map<string, JournalEntry>();
  return {
    get: (key) => entries.get(key),
    record: async (entry) => {
      entries.set(entry.key, entry);
    },
  };
}

/** The actor system as actors see it (`fromPromise` receives it as `system`). */
type System = ActorSystem<ActorSystemInfo>;

const bound = new WeakMap<object, StepServices>();
let fallback: StepServices | undefined;

/** Called by the runtime before it starts a run's root actor; every actor of that system sees these services. */
export function bindServices(system: System, services: StepServices): void {
  bound.set(system, services);
}

/** Services of the run an actor belongs to; a machine started outside the runtime gets an in-memory journal. */
export function servicesOf(system: System): StepServices {
  const services = bound.get(system);
  if (services) return services;
  fallback ??= { journal: memoryJournal(), limiter: null, budget: null, seed: 1 };
  return fallback;
}

/** Where a step's call runs, for people: the ids of the actors between the root and the call's own actor. */
export function stepLabel(self: AnyActorRef, step: string): string {
  const ids: string[] = [];
  for (let ref = self._parent; ref?._parent; ref = ref._parent) ids.unshift(ref.id);
  return [...ids, step].join('/');
}

/**
 * The actor's place in the run (`root/<invoke id>/<child id>`): built from invoke and spawn ids, which are stable
 * across restore. The root's own id is a session id, so it is always written `root`.
 */
export function actorPath(self: AnyActorRef): string {
  const ids: string[] = [];
  for (let ref: AnyActorRef | undefined = self; ref; ref = ref._parent) ids.unshift(ref._parent ? ref.id : 'root');
  return ids.join('/');
}
