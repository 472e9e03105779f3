// Invokes named after their step: an invoke written without an id gets one a person can read (`extract`), not
// XState's generated `0.contact.extracting`, which every view (history, inspector, telemetry, CLI) would show.
import { StateMachine, type AnyActorLogic, type AnyStateMachine } from 'xstate';
import { harnessKind } from './harness-kind.ts';

type Config = Record<string, unknown>;

const derived = Symbol('harness.derivedInvokeId');
const own = Symbol('harness.ownInvoke');

function isObject(value: unknown): value is Config {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMachine(logic: AnyActorLogic): logic is AnyStateMachine {
  return 'root' in logic && 'implementations' in logic;
}

/** Whether an invoke's id was given here, because its author wrote none (`harness check` warns about those). */
export function hasDerivedId(invoke: unknown): boolean {
  return isObject(invoke) && derived in invoke;
}

/**
 * Marks an invoke a harness helper writes into the author's state (waitFor's deadline): it is named like any other,
 * but its name is nothing the author chose or should (it keys no call), so `harness check` says nothing about it.
 */
export function ownInvoke<T extends object>(invoke: T): T {
  return Object.assign(invoke, { [own]: true });
}

export function isOwnInvoke(invoke: unknown): boolean {
  return isObject(invoke) && own in invoke;
}

/** The harness's own steps name their invokes themselves, and carry what they were built from: left as they are. */
function isHarnessStep(machine: AnyStateMachine): boolean {
  const kind = harnessKind(machine);
  return kind === 'model-step' || kind === 'agent-step';
}

interface Unnamed {
  invoke: Config;
  /** The step it runs (its `src` name); the state's key for inline logic. */
  base: string;
  path: string[];
}

function invokesIn(config: Config): Config[] {
  const invoke = config.invoke;
  return (Array.isArray(invoke) ? invoke : [invoke]).filter(isObject);
}

function collect(config: Config, path: string[], key: string, unnamed: Unnamed[], taken: Set<string>): void {
  for (const invoke of invokesIn(config)) {
    if (typeof invoke.id === 'string') taken.add(invoke.id);
    else unnamed.push({ invoke, base: typeof invoke.src === 'string' ? invoke.src : key, path });
  }
  if (isObject(config.states)) {
    for (const [child, state] of Object.entries(config.states)) if (isObject(state)) collect(state, [...path, child], child, unnamed, taken);
  }
}

/**
 * An id per unnamed invoke: the step's name, or `step@state.path` when the machine invokes that step from several
 * states (two children of one actor may not share an id while both run, as in parallel regions).
 */
function namesFor(config: Config, machineId: string): Map<Config, string> {
  const unnamed: Unnamed[] = [];
  const taken = new Set<string>();
  collect(config, [], machineId, unnamed, taken);
  const uses = new Map<string, number>();
  for (const { base } of unnamed) uses.set(base, (uses.get(base) ?? 0) + 1);
  const names = new Map<Config, string>();
  for (const { invoke, base, path } of unnamed) {
    let name = (uses.get(base) ?? 0) > 1 || taken.has(base) ? `${base}@${path.join('.') || machineId}` : base;
    for (let n = 2; taken.has(name); n++) name = `${base}@${path.join('.') || machineId}#${n}`;
    taken.add(name);
    names.set(invoke, name);
  }
  return names;
}

function renamed(config: Config, names: ReadonlyMap<Config, string>): Config {
  const out: Config = { ...config };
  if (config.invoke !== undefined) {
    const name = (invoke: unknown): unknown => {
      const id = isObject(invoke) ? names.get(invoke) : undefined;
      return id === undefined || !isObject(invoke) ? invoke : { ...invoke, id, ...(isOwnInvoke(invoke) ? {} : { [derived]: true }) };
    };
    out.invoke = Array.isArray(config.invoke) ? config.invoke.map(name) : name(config.invoke);
  }
  if (isObject(config.states)) {
    out.states = Object.fromEntries(Object.entries(config.states).map(([key, state]) => [key, isObject(state) ? renamed(state, names) : state]));
  }
  return out;
}

/**
 * The machine with its unnamed invokes named after their steps, and so the machines it invokes by name (a fan-out's
 * worker, a sub-agent). An invoke's id is part of its calls' journal keys: an explicit id keeps them when the step is
 * renamed; a derived one follows the step.
 */
export function nameInvokes(machine: AnyStateMachine, seen = new Map<AnyStateMachine, AnyStateMachine>()): AnyStateMachine {
  const done = seen.get(machine);
  if (done) return done;
  seen.set(machine, machine); // a machine that invokes itself keeps its own ids: bounded recursion
  if (isHarnessStep(machine)) return machine;
  const actors: Record<string, AnyActorLogic> = {};
  for (const [name, logic] of Object.entries(machine.implementations.actors)) {
    // `setup({ actors })` also takes `{ src, input }` entries: left as written.
    if (!('transition' in logic) || !isMachine(logic)) continue;
    const next = nameInvokes(logic, seen);
    if (next !== logic) actors[name] = next;
  }
  const changed = Object.keys(actors).length > 0;
  const config: unknown = machine.config;
  if (!isObject(config)) return machine;
  const names = namesFor(config, machine.id);
  if (names.size === 0 && !changed) return machine;
  // The config is rewritten as plain data (XState's config type cannot be carried through a generic walk); what is
  // added is only `id` on invokes, which MachineConfig allows.
  const result = new StateMachine(renamed(config, names) as AnyStateMachine['config'], { ...machine.implementations, actors: { ...machine.implementations.actors, ...actors } });
  seen.set(machine, result);
  return result;
}
