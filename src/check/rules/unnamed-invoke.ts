// Rule unnamed-invoke: an invoke without an id, named for it (after its step, or by XState) in its calls' journal keys.
import type { AnyStateMachine } from 'xstate';
import { allNodes, invokeName, invokesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

export function unnamedInvoke(machine: AnyStateMachine): Finding[] {
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    for (const invoke of invokesOf(node)) {
      if (invoke.explicitId || invoke.own) continue;
      const name = invokeName(invoke);
      const suggested = invoke.srcName ?? node.key;
      findings.push({
        rule: 'unnamed-invoke',
        severity: 'warning',
        path: pathOf(node),
        message:
          `invoke "${name}" has no id, so it runs as "${invoke.id}": that name is in its calls' journal keys and every ` +
          `view, and changes with the step's name or state; write one (id: '${suggested}')`,
      });
    }
  }
  return findings;
}
