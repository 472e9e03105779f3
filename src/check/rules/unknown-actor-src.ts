// Rules unknown-actor-src and inline-actor: invoked actors that a restored run could not find by name.
import type { AnyStateMachine } from 'xstate';
import { allNodes, invokesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

export function unknownActorSrc(machine: AnyStateMachine): Finding[] {
  const known = Object.keys(machine.implementations.actors);
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    for (const invoke of invokesOf(node)) {
      if (invoke.srcName === undefined) {
        findings.push({
          rule: 'inline-actor',
          severity: 'warning',
          path: pathOf(node),
          message:
            `invoke "${invoke.id}" uses inline actor logic, persisted under a generated name tied to this state's ` +
            `position: register it in setup({ actors }) and invoke it by name so a restored run finds it`,
        });
      } else if (!known.includes(invoke.srcName)) {
        findings.push({
          rule: 'unknown-actor-src',
          severity: 'error',
          path: pathOf(node),
          message:
            `invoke src "${invoke.srcName}" is not in setup({ actors }) ` +
            `(known: ${known.length ? known.join(', ') : 'none'}): XState only logs a warning, starts nothing and the state waits forever`,
        });
      }
    }
  }
  return findings;
}
