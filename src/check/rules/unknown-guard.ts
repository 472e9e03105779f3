// Rule unknown-guard: a guard named by string that setup({ guards }) does not provide.
import type { AnyStateMachine } from 'xstate';
import { eventLabel, referencedGuardNames } from '../labels.ts';
import { allNodes, edgesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

export function unknownGuard(machine: AnyStateMachine): Finding[] {
  const known = Object.keys(machine.implementations.guards);
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    for (const edge of edgesOf(node)) {
      for (const name of new Set(referencedGuardNames(edge.guard))) {
        if (known.includes(name)) continue;
        findings.push({
          rule: 'unknown-guard',
          severity: 'error',
          path: pathOf(node),
          message: `guard "${name}" on '${eventLabel(edge)}' is not in setup({ guards }); XState throws when it is evaluated`,
        });
      }
    }
  }
  return findings;
}
