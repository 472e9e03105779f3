// Statechart coverage: the states and transitions the runs went through, against every one the definition has.
import type { InspectionEvent } from 'xstate';
import { activeSet, allStates, eventLabel, guardLabel, invokeSources, parseDefinition, subAgentDefinition, type StateDef } from '../definition/index.ts';
import { statePaths } from '../runtime/driver.ts';
import type { RunRecord } from '../store/index.ts';

/**
 * What one run visited, per machine: '' is the workflow's own machine, `extract` the machine it registered as
 * `extract`, `security/review` one registered inside that one. States are paths; transitions are `transitionKey`s.
 */
export type CaseCoverage = Record<string, { states: string[]; transitions: string[] }>;

/** A transition as coverage names it: its source state's path, event type, guard and target state ids. */
export function transitionKey(source: string, eventType: string, guard: string | null, targets: readonly string[]): string {
  return JSON.stringify([source, eventType, guard ?? '', targets]);
}

/** The part of an actor ref that places it in its tree (inspection events type refs without it). */
interface ActorNode {
  src?: unknown;
  _parent?: ActorNode | undefined;
}

function isActorNode(ref: unknown): ref is ActorNode {
  return typeof ref === 'object' && ref !== null && 'src' in ref;
}

/** The machine an actor runs, by the `src` names from the root down; null for inline logic we cannot name. */
function machineKey(ref: ActorNode, known: WeakMap<ActorNode, string | null>): string | null {
  const kept = known.get(ref);
  if (kept !== undefined) return kept;
  let key: string | null;
  if (!ref._parent) key = '';
  else if (typeof ref.src !== 'string') key = null;
  else {
    const parent = machineKey(ref._parent, known);
    key = parent === null ? null : parent === '' ? ref.src : `${parent}/${ref.src}`;
  }
  known.set(ref, key);
  return key;
}

function isMachineValue(snapshot: unknown): snapshot is { value: unknown } {
  return typeof snapshot === 'object' && snapshot !== null && 'value' in snapshot && 'machine' in snapshot;
}

/**
 * Collects coverage from a run's inspection events while it is driven: every microstep's transitions (eventless ones
 * included, and which guarded branch was taken) and every state it passed through, in every machine of the run.
 */
export class CoverageCollector {
  readonly #visited = new Map<string, { states: Set<string>; transitions: Set<string> }>();
  readonly #keys = new WeakMap<ActorNode, string | null>();

  /** The inspect hook to give the run (`DriveHooks.inspect`). */
  readonly inspect = (event: InspectionEvent): void => {
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    const ref: unknown = event.actorRef;
    const key = isActorNode(ref) ? machineKey(ref, this.#keys) : null;
    if (key === null || !isMachineValue(event.snapshot)) return;
    const into = this.#into(key);
    for (const path of activeSet(statePaths(event.snapshot.value))) if (path !== '') into.states.add(path);
    if (event.type !== '@xstate.microstep') return;
    for (const t of event._transitions) {
      into.transitions.add(transitionKey(t.source.path.join('.'), t.eventType, guardLabel(t.guard) ?? null, (t.target ?? []).map((node) => node.id)));
    }
  };

  #into(key: string) {
    let entry = this.#visited.get(key);
    if (!entry) {
      entry = { states: new Set(), transitions: new Set() };
      this.#visited.set(key, entry);
    }
    return entry;
  }

  /**
   * The run's coverage: what was collected here, plus the states its timeline recorded (a run resumed by another
   * process, or after a crash, passed through those too; its transitions from before are not known).
   */
  coverage(record: RunRecord): CaseCoverage {
    for (const [key, states] of timelineStates(record)) {
      const into = this.#into(key);
      for (const state of states) into.states.add(state);
    }
    return Object.fromEntries([...this.#visited].map(([key, v]) => [key, { states: [...v.states].sort(), transitions: [...v.transitions].sort() }]));
  }
}

/** The states in a run's timeline, by machine: actor paths (`root/<invoke id>/…`) mapped to `src` names through the definition. */
function timelineStates(record: RunRecord): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const machines = new Map<string, { key: string; definition: unknown; chain: unknown[] } | null>();
  const machineAt = (actor: string): { key: string; definition: unknown; chain: unknown[] } | null => {
    const known = machines.get(actor);
    if (known !== undefined) return known;
    let result: { key: string; definition: unknown; chain: unknown[] } | null = null;
    const cut = actor.lastIndexOf('/');
    if (actor === 'root') result = { key: '', definition: record.workflow.definition, chain: [record.workflow.definition] };
    else if (cut > 0) {
      const parent = machineAt(actor.slice(0, cut));
      const src = parent ? sourceOf(parent.definition, actor.slice(cut + 1)) : null;
      const definition = parent && src ? subAgentDefinition(parent.definition, src, parent.chain) : null;
      if (parent && src && definition) result = { key: parent.key === '' ? src : `${parent.key}/${src}`, definition, chain: [...parent.chain, definition] };
    }
    machines.set(actor, result);
    return result;
  };
  for (const entry of record.timeline) {
    const machine = machineAt(entry.actor);
    if (!machine || !entry.state) continue;
    let states = found.get(machine.key);
    if (!states) {
      states = new Set();
      found.set(machine.key, states);
    }
    for (const path of activeSet(entry.state)) if (path !== '') states.add(path);
  }
  return found;
}

/** Invoke id → `src` of a definition, read once per definition object (a process's runs of one machine share it). */
const sources = new WeakMap<object, Map<string, string>>();

/** The `src` an invoke of this definition runs under `invokeId`, or null. */
function sourceOf(definition: unknown, invokeId: string): string | null {
  if (typeof definition !== 'object' || definition === null) return null;
  let map = sources.get(definition);
  if (!map) {
    try {
      map = invokeSources(parseDefinition(definition));
    } catch {
      map = new Map();
    }
    sources.set(definition, map);
  }
  return map.get(invokeId) ?? null;
}

/** One machine's coverage over many runs. */
export interface MachineCoverage {
  /** '' for the workflow's machine, else its `src` path (`extract`, `security/review`). */
  machine: string;
  states: { total: number; visited: number; unreached: string[] };
  transitions: { total: number; visited: number; unreached: string[] };
}

interface Machine {
  key: string;
  root: StateDef;
}

/** The workflow's machine and every machine registered in it (by name, recursively), parsed. */
function machinesOf(definition: unknown): Machine[] {
  const out: Machine[] = [];
  const walk = (def: unknown, key: string, chain: unknown[]) => {
    let root: StateDef;
    try {
      root = parseDefinition(def);
    } catch {
      return;
    }
    out.push({ key, root });
    const actors = typeof def === 'object' && def !== null ? Reflect.get(def, 'actors') : undefined;
    if (typeof actors !== 'object' || actors === null) return;
    for (const src of Object.keys(actors)) {
      const child = subAgentDefinition(def, src, chain);
      // A machine that invokes itself is named once, not expanded again.
      if (child && !chain.includes(child)) walk(child, key === '' ? src : `${key}/${src}`, [...chain, child]);
    }
  };
  walk(definition, '', [definition]);
  return out;
}

/** `extracting —done: extract [stepFlagged]→ flagged`: a transition of the definition as a person reads it. */
function transitionLabel(state: StateDef, event: string, guard: string | null, targets: readonly string[], root: StateDef): string {
  const byId = new Map(allStates(root).map((s) => [s.id, s.path || '(root)']));
  const to = targets.length > 0 ? targets.map((id) => byId.get(id) ?? id).join(', ') : '(stays)';
  return `${state.path || '(root)'} —${eventLabel(event, invokeSources(root))}${guard ? ` [${guard}]` : ''}→ ${to}`;
}

/** Coverage of every machine of `definition` by the runs' `cases`: what was visited, and what never was. */
export function coverageOf(definition: unknown, cases: readonly CaseCoverage[]): MachineCoverage[] {
  return machinesOf(definition).map(({ key, root }) => {
    const states = new Set<string>();
    const transitions = new Set<string>();
    for (const c of cases) {
      for (const s of c[key]?.states ?? []) states.add(s);
      for (const t of c[key]?.transitions ?? []) transitions.add(t);
    }
    const all = allStates(root).filter((s) => s.path !== '');
    const edges = allStates(root).flatMap((state) => state.transitions.map((t) => ({ state, t, key: transitionKey(state.path, t.eventType, t.guard, t.targets) })));
    const unreachedEdges = edges.filter((e) => !transitions.has(e.key));
    return {
      machine: key,
      states: { total: all.length, visited: all.filter((s) => states.has(s.path)).length, unreached: all.filter((s) => !states.has(s.path)).map((s) => s.path) },
      transitions: {
        total: edges.length,
        visited: edges.length - unreachedEdges.length,
        unreached: unreachedEdges.map((e) => transitionLabel(e.state, e.t.eventType, e.t.guard, e.t.targets, root)),
      },
    };
  });
}

