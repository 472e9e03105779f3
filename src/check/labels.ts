// Human-readable names for transitions and guards, shared by findings and diagrams.
import { guardLabel } from '../definition/index.ts';
import { type Edge, invokeName } from './model.ts';

export { guardLabel };

/** For an invoke's done, error or snapshot edge: the invoke's name and which of the three it is; null otherwise. */
export function invokeOutcome(edge: Edge): { actor: string; outcome: 'done' | 'error' | 'snapshot' } | null {
  const outcome = edge.kind === 'invoke-done' ? 'done' : edge.kind === 'invoke-error' ? 'error' : edge.kind === 'invoke-snapshot' ? 'snapshot' : null;
  if (outcome === null) return null;
  return { actor: edge.invoke ? invokeName(edge.invoke) : actorIdOf(edge.eventType), outcome };
}

/** 'APPROVE', 'always', 'after 1000ms', 'done: callModel', 'error: callModel', 'done'. */
export function eventLabel(edge: Edge): string {
  const invoke = invokeOutcome(edge);
  if (invoke) return `${invoke.outcome}: ${invoke.actor}`;
  switch (edge.kind) {
    case 'always':
      return 'always';
    case 'after':
      return typeof edge.delay === 'number' ? `after ${edge.delay}ms` : `after ${edge.delay ?? '?'}`;
    case 'state-done':
      return 'done';
    default:
      return edge.eventType;
  }
}

/** The id at the end of 'xstate.done.actor.<id>' (for handlers written on an ancestor). */
function actorIdOf(eventType: string): string {
  return eventType.split('.').slice(3).join('.') || eventType;
}

/** Every guard name a transition refers to by string (through and/or/not too), to check against setup(). */
export function referencedGuardNames(guard: unknown): string[] {
  if (typeof guard === 'string') return [guard];
  if (typeof guard === 'function') {
    const inner = (guard as { guards?: unknown }).guards;
    return Array.isArray(inner) ? inner.flatMap(referencedGuardNames) : [];
  }
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    return [(guard as { type: string }).type];
  }
  return [];
}

/** 'attempting --after 1000ms [canRetry]--> waiting' for messages. */
export function describeEdge(edge: Edge, pathOf: (node: Edge['source']) => string): string {
  const guard = guardLabel(edge.guard);
  const targets = edge.targets.map(pathOf).join(', ') || '(no target)';
  return `${pathOf(edge.source)} --${eventLabel(edge)}${guard ? ` [${guard}]` : ''}--> ${targets}`;
}
