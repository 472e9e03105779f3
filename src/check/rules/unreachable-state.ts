// Rule unreachable-state: state nodes that no sequence of events can enter.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { allNodes, pathOf } from '../model.ts';
import { reachableNodes } from '../reach.ts';
import type { Finding } from '../types.ts';

export function unreachableState(machine: AnyStateMachine): Finding[] {
  const reached = reachableNodes(machine);
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    // Report the top of an unreachable subtree once, not each of its descendants.
    if (reached.has(node) || node.type === 'history' || (node.parent && !reached.has(node.parent))) continue;
    const below = countStates(node);
    findings.push({
      rule: 'unreachable-state',
      severity: 'error',
      path: pathOf(node),
      message:
        `no transition leads here, even ignoring guards` +
        (below > 0 ? ` (nor to its ${below} descendant state${below === 1 ? '' : 's'})` : '') +
        `: remove it or add a transition that targets it`,
    });
  }
  return findings;
}

function countStates(node: AnyStateNode): number {
  return getStateNodes(node).filter((n) => n.type !== 'history').length;
}
