// Rule invoke-without-onerror: an invoked actor whose failure no transition handles.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { allNodes, ancestorsOf, descriptorMatches, invokeName, invokesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

export function invokeWithoutOnError(machine: AnyStateMachine): Finding[] {
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    for (const invoke of invokesOf(node)) {
      if (invoke.hasOnError || handledAbove(node, `xstate.error.actor.${invoke.id}`)) continue;
      findings.push({
        rule: 'invoke-without-onerror',
        severity: 'error',
        path: pathOf(node),
        message:
          `invoke "${invokeName(invoke)}" has no onError: if the actor fails, XState stops the whole run with ` +
          `status 'error'; add onError (a retry, an escalation or a failed state)`,
      });
    }
  }
  return findings;
}

/**
 * A handler on the node or an ancestor, by exact name or a partial wildcard such as 'xstate.error.actor.*'.
 * A bare '*' does not count: XState marks matching it as something it may stop doing.
 */
function handledAbove(node: AnyStateNode, eventType: string): boolean {
  return [node, ...ancestorsOf(node)].some((owner) =>
    [...owner.transitions.keys()].some((d) => d !== '*' && descriptorMatches(String(d), eventType)),
  );
}
