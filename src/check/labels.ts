// Human-readable names for transitions and guards, shared by findings and diagrams.
import { type Edge, invokeName } from './model.ts';

/** 'APPROVE', 'always', 'after 1000ms', 'done: callModel', 'error: callModel', 'done'. */
export function eventLabel(edge: Edge): string {
  switch (edge.kind) {
    case 'always':
      return 'always';
    case 'after':
      return typeof edge.delay === 'number' ? `after ${edge.delay}ms` : `after ${edge.delay ?? '?'}`;
    case 'invoke-done':
      return `done: ${edge.invoke ? invokeName(edge.invoke) : actorIdOf(edge.eventType)}`;
    case 'invoke-error':
      return `error: ${edge.invoke ? invokeName(edge.invoke) : actorIdOf(edge.eventType)}`;
    case 'invoke-snapshot':
      return `snapshot: ${edge.invoke ? invokeName(edge.invoke) : actorIdOf(edge.eventType)}`;
    case 'state-done':
      return 'done';
    case 'event':
      return edge.eventType;
  }
}

/** The id at the end of 'xstate.done.actor.<id>' (for handlers written on an ancestor). */
function actorIdOf(eventType: string): string {
  return eventType.split('.').slice(3).join('.') || eventType;
}

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
