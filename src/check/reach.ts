// Which state nodes some sequence of events can reach, ignoring guards (an over-approximation).
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { defaultEntry, enteredBy } from './entry.ts';
import { edgesOf } from './model.ts';

/**
 * Starts from the initial configuration and follows every transition of every reached node. A node's ancestors
 * are reached before it, so following each node's own transitions also covers "ancestor transitions apply
 * while inside".
 */
export function reachableNodes(machine: AnyStateMachine): Set<AnyStateNode> {
  const reached = defaultEntry(machine.root);
  const queue = [...reached];
  for (let node = queue.pop(); node; node = queue.pop()) {
    for (const edge of edgesOf(node)) {
      for (const entered of enteredBy(edge)) {
        if (reached.has(entered)) continue;
        reached.add(entered);
        queue.push(entered);
      }
    }
  }
  return reached;
}
