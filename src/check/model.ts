// A read-only view of a machine definition: its state nodes, their paths, and every transition as a typed edge.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { getStateNodes } from 'xstate/graph';

/** How a transition gets taken: an external event, or something the machine does by itself. */
export type EdgeKind =
  | 'event'
  | 'always'
  | 'after'
  | 'invoke-done'
  | 'invoke-error'
  | 'invoke-snapshot'
  | 'state-done';

export interface Edge {
  source: AnyStateNode;
  kind: EdgeKind;
  /** The event descriptor as XState stores it ('' for `always`). */
  eventType: string;
  /** Resolved targets; empty for a targetless transition. */
  targets: AnyStateNode[];
  guard: AnyTransitionDefinition['guard'];
  reenter: boolean;
  /** For `after`: the delay in ms or the name of a configured delay. */
  delay?: number | string;
  /** For invoke-done / -error / -snapshot: the invoke this edge belongs to, when it is on the same node. */
  invoke?: InvokeInfo;
}

export interface InvokeInfo {
  /** The invoke id (XState generates `<index>.<state id>` when none is given). */
  id: string;
  /** Whether the id was written in the config, not generated. */
  explicitId: boolean;
  /** The actor name when `src` is a string; undefined for inline logic. */
  srcName: string | undefined;
  hasOnError: boolean;
}

/** Every event that the machine itself produces, so no person or caller has to send it. */
export const automaticKinds: ReadonlySet<EdgeKind> = new Set(['always', 'after', 'invoke-done', 'invoke-error', 'state-done']);

export const machinePath = '(machine)';

/** 'review.security.attempting', or '(machine)' for the root. */
export function pathOf(node: AnyStateNode): string {
  return node.path.length === 0 ? machinePath : node.path.join('.');
}

/** The root and every descendant, in document order. */
export function allNodes(machine: AnyStateMachine): AnyStateNode[] {
  return [machine.root, ...getStateNodes(machine.root)];
}

export function childrenOf(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states) as AnyStateNode[];
}

/** Children that are real states (history nodes are pointers, not states). */
export function regionsOrChildren(node: AnyStateNode): AnyStateNode[] {
  return childrenOf(node).filter((c) => c.type !== 'history');
}

/** Proper ancestors, nearest first. */
export function ancestorsOf(node: AnyStateNode): AnyStateNode[] {
  const out: AnyStateNode[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(p);
  return out;
}

export function isDescendant(node: AnyStateNode, ancestor: AnyStateNode): boolean {
  for (let p = node.parent; p; p = p.parent) if (p === ancestor) return true;
  return false;
}

export function invokesOf(node: AnyStateNode): InvokeInfo[] {
  const configs = toList(node.config.invoke) as Array<{ id?: unknown; src?: unknown; onError?: unknown }>;
  return node.invoke.map((def, i) => {
    const config = configs[i];
    return {
      id: def.id,
      explicitId: typeof config?.id === 'string',
      srcName: typeof config?.src === 'string' ? config.src : undefined,
      hasOnError: config?.onError !== undefined,
    };
  });
}

/** A short human name for an invoke: its actor name, else its own id, else 'inline'. */
export function invokeName(invoke: InvokeInfo): string {
  return invoke.srcName ?? (invoke.explicitId ? invoke.id : 'inline');
}

const prefixes: ReadonlyArray<[string, EdgeKind]> = [
  ['xstate.done.actor.', 'invoke-done'],
  ['xstate.error.actor.', 'invoke-error'],
  ['xstate.snapshot.', 'invoke-snapshot'],
  ['xstate.after.', 'after'],
  ['xstate.done.state.', 'state-done'],
];

function classify(eventType: string): { kind: EdgeKind; rest: string } {
  if (eventType === '') return { kind: 'always', rest: '' };
  for (const [prefix, kind] of prefixes) {
    if (eventType.startsWith(prefix)) return { kind, rest: eventType.slice(prefix.length) };
  }
  return { kind: 'event', rest: eventType };
}

// A definition never changes after createMachine, so a node's edges can be computed once.
const edgeCache = new WeakMap<AnyStateNode, readonly Edge[]>();

/** The node's own transitions (not its ancestors'), including always, after, onDone and invoke results. */
export function edgesOf(node: AnyStateNode): readonly Edge[] {
  let edges = edgeCache.get(node);
  if (!edges) {
    edges = computeEdges(node);
    edgeCache.set(node, edges);
  }
  return edges;
}

function computeEdges(node: AnyStateNode): Edge[] {
  const invokes = invokesOf(node);
  const all: AnyTransitionDefinition[] = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
  return all.map((t) => {
    const eventType = String(t.eventType);
    const { kind, rest } = classify(eventType);
    const edge: Edge = {
      source: node,
      kind,
      eventType,
      targets: [...(t.target ?? [])],
      guard: t.guard,
      reenter: t.reenter,
    };
    const delay = (t as { delay?: unknown }).delay;
    if (kind === 'after' && (typeof delay === 'number' || typeof delay === 'string')) edge.delay = delay;
    if (kind === 'invoke-done' || kind === 'invoke-error' || kind === 'invoke-snapshot') {
      const invoke = invokes.find((inv) => inv.id === rest);
      if (invoke) edge.invoke = invoke;
    }
    return edge;
  });
}

/** Does an event descriptor (possibly a wildcard like 'xstate.error.*' or '*') match this event type? */
export function descriptorMatches(descriptor: string, eventType: string): boolean {
  if (descriptor === eventType || descriptor === '*') return true;
  if (!descriptor.endsWith('.*')) return false;
  return eventType.startsWith(descriptor.slice(0, -1));
}

export function toList<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}
