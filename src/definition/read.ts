// Reads a stored machine definition (written by `machineDefinition`) into typed state nodes, labels and events.

export type StateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface TransitionDef {
  eventType: string;
  /** State ids without the leading '#'; empty for a targetless (self, no exit) transition. */
  targets: string[];
  /** Guard name as written by `machineDefinition` (`canRetry`, `and(isValid, meetsThreshold)`); null without a guard. */
  guard: string | null;
}

export interface StateDef {
  id: string;
  key: string;
  /** Keys from the root: '' for the root, 'review.security' below it. */
  path: string;
  type: StateType;
  /** Id of the initial child of a compound state. */
  initial: string | null;
  children: StateDef[];
  transitions: TransitionDef[];
  invokes: { id: string; src: string }[];
  tags: string[];
}

/** A definition that is not a machine.toJSON() object (a corrupt or foreign run file). */
export class DefinitionError extends Error {
  override name = 'DefinitionError';
}

const stateTypes = new Set<string>(['atomic', 'compound', 'parallel', 'final', 'history']);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

const unhash = (target: string) => (target.startsWith('#') ? target.slice(1) : target);

function guardName(guard: unknown): string | null {
  if (typeof guard === 'string') return guard;
  if (isObject(guard) && typeof guard.type === 'string') return guard.type;
  return null;
}

function transitionOf(raw: unknown, fallbackEvent: string): TransitionDef | null {
  if (!isObject(raw)) return null;
  const eventType = typeof raw.eventType === 'string' ? raw.eventType : fallbackEvent;
  return { eventType, targets: strings(raw.target).map(unhash), guard: guardName(raw.guard) };
}

const present = (t: TransitionDef | null): t is TransitionDef => t !== null;

function transitionsOf(node: Json): TransitionDef[] {
  // machine.toJSON() has no `always`; a definition that adds it (same shape, eventType '') gets those arrows drawn.
  const always = Array.isArray(node.always) ? node.always.map((t) => transitionOf(t, '')).filter(present) : [];
  // `transitions` is the flattened `on` (after-delays included); older or hand-made definitions only have `on`.
  if (Array.isArray(node.transitions)) return [...node.transitions.map((t) => transitionOf(t, '')).filter(present), ...always];
  if (!isObject(node.on)) return always;
  const on = Object.entries(node.on).flatMap(([event, list]) => (Array.isArray(list) ? list : [list]).map((t) => transitionOf(t, event)).filter(present));
  return [...on, ...always];
}

function nodeOf(raw: unknown, key: string, path: string): StateDef {
  if (!isObject(raw)) throw new DefinitionError(`state ${path || '(root)'} is not an object`);
  const id = typeof raw.id === 'string' ? raw.id : path || key;
  const type = typeof raw.type === 'string' && stateTypes.has(raw.type) ? (raw.type as StateType) : 'atomic';
  // Document order is `order`; key order already follows it, but a hand-made file may not.
  const orderOf = (child: unknown) => (isObject(child) && typeof child.order === 'number' ? child.order : 0);
  const children = isObject(raw.states)
    ? Object.entries(raw.states)
        .sort(([, a], [, b]) => orderOf(a) - orderOf(b))
        .map(([childKey, child]) => nodeOf(child, childKey, path ? `${path}.${childKey}` : childKey))
    : [];
  const initialTarget = isObject(raw.initial) ? strings(raw.initial.target)[0] : typeof raw.initial === 'string' ? raw.initial : undefined;
  const invokes = Array.isArray(raw.invoke)
    ? raw.invoke.filter(isObject).map((i) => ({ id: String(i.id ?? ''), src: String(i.src ?? '?') }))
    : [];
  return {
    id,
    key,
    path,
    type: children.length === 0 && type === 'compound' ? 'atomic' : type,
    initial: initialTarget ? unhash(initialTarget) : null,
    children,
    transitions: transitionsOf(raw),
    invokes,
    tags: strings(raw.tags),
  };
}

/** The root state of a stored definition; throws DefinitionError when it is not one. */
export function parseDefinition(definition: unknown): StateDef {
  if (!isObject(definition) || !isObject(definition.states)) {
    throw new DefinitionError('the run has no machine definition (expected machine.toJSON() with states)');
  }
  return nodeOf(definition, typeof definition.key === 'string' ? definition.key : '(machine)', '');
}

/** Every state, parents before children. */
export function allStates(root: StateDef): StateDef[] {
  return [root, ...root.children.flatMap(allStates)];
}

/** 'APPROVE', 'done: model:ask', 'error: model:ask', 'after 500ms', 'done' (a compound state's own completion). */
export function eventLabel(eventType: string, invokeSrc: ReadonlyMap<string, string>): string {
  const actor = /^xstate\.(done|error|snapshot)\.actor\.(.+)$/.exec(eventType);
  if (actor) return `${actor[1]}: ${invokeSrc.get(actor[2] as string) ?? actor[2]}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (after) return /^\d+$/.test(after[1] as string) ? `after ${after[1]}ms` : `after ${after[1]}`;
  return eventType === '' ? 'always' : eventType;
}

/** Invoke id → its `src`, to name `xstate.done.actor.<id>` events after the actor they wait for. */
export function invokeSources(root: StateDef): Map<string, string> {
  return new Map(allStates(root).flatMap((s) => s.invokes.map((i) => [i.id, i.src] as const)));
}

/** Events a person or program can send in these active states (XState's internal events left out). */
export function acceptedEvents(root: StateDef, activePaths: readonly string[]): string[] {
  const active = activeSet(activePaths);
  const events = new Set<string>();
  for (const state of allStates(root)) {
    if (!active.has(state.path)) continue;
    for (const t of state.transitions) if (!t.eventType.startsWith('xstate.') && t.eventType !== '') events.add(t.eventType);
  }
  return [...events].sort();
}

/** Active leaf paths ('review.security.checking') plus every ancestor, and the root as ''. */
export function activeSet(leafPaths: readonly string[]): Set<string> {
  const set = new Set<string>();
  if (leafPaths.length > 0) set.add('');
  for (const leaf of leafPaths) {
    const parts = leaf.split('.');
    for (let i = 1; i <= parts.length; i++) set.add(parts.slice(0, i).join('.'));
  }
  return set;
}

/**
 * The stored definition of the machine a parent registered as actor `src` (`definition.actors[src]`), or null when
 * `src` is no machine (a promise, a timer). A machine that invokes itself is stored as `{ ref: id }`: it names one of
 * `ancestors` (the definitions from the root down to `definition`).
 */
export function subAgentDefinition(definition: unknown, src: string, ancestors: readonly unknown[] = [definition]): Json | null {
  const actors = isObject(definition) ? definition.actors : undefined;
  const entry = isObject(actors) ? actors[src] : undefined;
  if (!isObject(entry)) return null;
  if (typeof entry.ref !== 'string') return entry;
  const named = ancestors.find((a): a is Json => isObject(a) && a.id === entry.ref);
  return named ?? null;
}
