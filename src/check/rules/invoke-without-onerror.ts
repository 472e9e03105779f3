// Rule invoke-without-onerror: an invoked actor whose failure no transition handles.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { harnessKind } from '../../steps/harness-kind.ts';
import { allNodes, ancestorsOf, descriptorMatches, invokeName, invokesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

export function invokeWithoutOnError(machine: AnyStateMachine): Finding[] {
  const findings: Finding[] = [];
  for (const node of allNodes(machine)) {
    for (const invoke of invokesOf(node)) {
      if (invoke.hasOnError || handledAbove(node, `xstate.error.actor.${invoke.id}`)) continue;
      if (invoke.srcName !== undefined && neverFails(machine, invoke.srcName)) continue;
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
 * The harness's own step, agent and fan-out machines turn every failure of their calls into an outcome (an attempt
 * record, a flag): only a bug in the workflow's own code (a prompt that throws) can fail them, and a run that
 * ends `failed` with that error is the right answer to a bug.
 */
function neverFails(machine: AnyStateMachine, src: string): boolean {
  const kind = harnessKind(machine.implementations.actors[src]);
  return kind === 'model-step' || kind === 'agent-step' || kind === 'fan-out';
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
