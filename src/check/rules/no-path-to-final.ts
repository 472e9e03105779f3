// Rule no-path-to-final: states from which the machine can never finish (dead ends, loops with no exit).
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { completedBy, hasFinalChild } from '../completion.ts';
import { allNodes, ancestorsOf, edgesOf, machinePath, pathOf, regionsOrChildren } from '../model.ts';
import { reachableNodes } from '../reach.ts';
import type { Finding } from '../types.ts';

export function noPathToFinal(machine: AnyStateMachine): Finding[] {
  const root = machine.root;
  const everything = allNodes(machine);
  if (!hasFinalChild(root, new Set(everything))) {
    return [
      {
        rule: 'no-final-state',
        severity: 'warning',
        path: machinePath,
        message: 'the machine has no top-level final state, so a run can never complete; add one (e.g. done: { type: "final" })',
      },
    ];
  }
  const reached = reachableNodes(machine);
  const canFinish = finishable(everything, reached);
  return everything
    .filter((n) => reached.has(n) && (n.type === 'atomic' || n.type === 'final') && !canFinish.has(n))
    .map((n) => ({
      rule: 'no-path-to-final' as const,
      severity: 'error' as const,
      path: pathOf(n),
      message:
        n.type === 'final'
          ? "this final state completes its parent, but nothing after that can finish the machine (check the parent's onDone)"
          : 'no final state can be reached from here: a dead end, or a loop with no way out',
    }));
}

/**
 * Least fixpoint of "being in this node, some sequence of events finishes the machine". Guards are ignored,
 * so this errs towards "can finish": what it reports is a real dead end.
 */
function finishable(nodes: AnyStateNode[], reached: ReadonlySet<AnyStateNode>): Set<AnyStateNode> {
  const yes = new Set<AnyStateNode>();
  const regionCanComplete = (region: AnyStateNode) => hasFinalChild(region, reached);
  const leadsOn = (targets: AnyStateNode[]) => targets.some((t) => yes.has(t));
  const inside = new Map(nodes.map((n) => [n, getStateNodes(n).filter((d) => reached.has(d))]));
  const someInside = (region: AnyStateNode) => yes.has(region) || (inside.get(region) ?? []).some((d) => yes.has(d));
  const evaluate = (node: AnyStateNode): boolean => {
    switch (node.type) {
      case 'history':
        return node.parent ? regionsOrChildren(node.parent).some((c) => yes.has(c)) : false;
      case 'compound': {
        const initial = node.initial.target[0];
        return initial ? yes.has(initial) : false;
      }
      case 'parallel':
        return regionsOrChildren(node).some((r) => yes.has(r));
      default:
        break;
    }
    // A leaf: its own transitions and those of every ancestor apply while it is active.
    for (const owner of [node, ...ancestorsOf(node)]) {
      for (const edge of edgesOf(owner)) if (edge.kind !== 'state-done' && leadsOn(edge.targets)) return true;
    }
    for (const done of completedBy(node, regionCanComplete)) {
      if (!done.parent) return true;
      for (const edge of edgesOf(done)) if (edge.kind === 'state-done' && leadsOn(edge.targets)) return true;
    }
    // Inside a parallel state another region, in whichever of its states it is, may move the machine on.
    let child = node;
    for (const ancestor of ancestorsOf(node)) {
      if (ancestor.type === 'parallel' && regionsOrChildren(ancestor).some((r) => r !== child && someInside(r))) return true;
      child = ancestor;
    }
    return false;
  };
  // Later states usually lead to the final ones, so visiting them first settles most nodes in one sweep.
  const order = [...nodes].reverse();
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of order) {
      if (!yes.has(node) && evaluate(node)) {
        yes.add(node);
        changed = true;
      }
    }
  }
  return yes;
}
