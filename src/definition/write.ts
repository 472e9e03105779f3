// A machine's definition as plain JSON: `machine.toJSON()` completed with what it leaves out (always, combined guards).
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { deepFreeze } from '../util/deep-freeze.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** 'canRetry', 'and(isValid, not(isLate))', 'inline'; undefined when the transition has no guard. */
export function guardLabel(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const inner = (guard as { guards?: unknown }).guards;
    // Built-in combinators (and/or/not/stateIn) carry `check`; any other function is an inline guard.
    if (Array.isArray(inner)) return `${guard.name}(${inner.map((g) => guardLabel(g) ?? '?').join(', ')})`;
    if ('stateValue' in guard) return `stateIn(${JSON.stringify((guard as { stateValue: unknown }).stateValue)})`;
    return 'check' in guard && guard.name ? guard.name : 'inline';
  }
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'inline';
}

/**
 * The parameters of a guard and of the guards it combines (`canRetry` with `{ maxRetries: 2 }`): they are policy
 * too, so they belong in the definition and in its hash (a longer ladder is another machine).
 */
function guardParams(guard: unknown): JsonValue[] {
  if (typeof guard === 'function') {
    const inner: unknown = 'guards' in guard ? guard.guards : undefined;
    return Array.isArray(inner) ? inner.flatMap(guardParams) : [];
  }
  if (typeof guard !== 'object' || guard === null || !('type' in guard) || !('params' in guard)) return [];
  if (typeof guard.type !== 'string' || guard.params === undefined) return [];
  return [{ type: guard.type, params: JSON.parse(JSON.stringify(guard.params)) as JsonValue }];
}

interface TransitionLike {
  target?: readonly AnyStateNode[] | undefined;
  guard?: unknown;
  eventType: string;
}

function guardJson(label: string, guard: unknown): JsonObject {
  const params = guardParams(guard);
  return params.length > 0 ? { type: label, params } : { type: label };
}

function transitionJson(t: TransitionLike): JsonObject {
  const json: JsonObject = { eventType: t.eventType, target: (t.target ?? []).map((node) => `#${node.id}`) };
  const guard = guardLabel(t.guard);
  if (guard !== undefined) json.guard = guardJson(guard, t.guard);
  return json;
}

function complete(json: JsonObject, node: AnyStateNode): void {
  // toJSON() drops eventless transitions, and a combined guard (a function) vanishes in JSON: both are policy.
  json.always = (node.always ?? []).map((t) => transitionJson(t as TransitionLike));
  const transitions = [...node.transitions.values()].flat() as TransitionLike[];
  const listed = Array.isArray(json.transitions) ? json.transitions : [];
  transitions.forEach((t, i) => {
    const entry = listed[i];
    const guard = guardLabel(t.guard);
    if (guard !== undefined && entry && typeof entry === 'object' && !Array.isArray(entry)) entry.guard = guardJson(guard, t.guard);
  });
  const states = json.states;
  if (states && typeof states === 'object' && !Array.isArray(states)) {
    for (const [key, child] of Object.entries(node.states)) {
      const childJson = states[key];
      if (childJson && typeof childJson === 'object' && !Array.isArray(childJson)) complete(childJson, child);
    }
  }
}

function isMachine(logic: unknown): logic is AnyStateMachine {
  return typeof logic === 'object' && logic !== null && 'root' in logic && typeof (logic as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * The definition runs store (for inspectors) and hash (to refuse restoring onto a changed machine). It is the
 * structure — states, transitions, guard and actor names — not the code inside prompts or actions. Sub-agent
 * machines registered in `setup({ actors })` are included under `actors`, by name: their snapshots are restored too,
 * so a changed sub-agent is a changed workflow.
 */
export function machineDefinition(machine: AnyStateMachine): Readonly<JsonObject> {
  let json = definitions.get(machine);
  if (!json) {
    json = describe(machine, new Set());
    deepFreeze(json); // every run of a machine shares its definition: frozen, so no run record can change it for the others
    definitions.set(machine, json);
  }
  return json;
}

function describe(machine: AnyStateMachine, path: Set<AnyStateMachine>): JsonObject {
  const json = JSON.parse(JSON.stringify(machine.toJSON())) as JsonObject;
  complete(json, machine.root);
  path.add(machine);
  const actors: JsonObject = {};
  for (const [name, logic] of Object.entries(machine.implementations.actors ?? {})) {
    // A machine that can invoke itself (directly or not) is named, not expanded again.
    if (isMachine(logic)) actors[name] = path.has(logic) ? { ref: logic.id } : describe(logic, path);
  }
  path.delete(machine);
  if (Object.keys(actors).length > 0) json.actors = actors;
  return json;
}

const definitions = new WeakMap<AnyStateMachine, JsonObject>();
