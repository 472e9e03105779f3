// When a final state completes its ancestors: compound parents at once, parallel ones once every region is done.
import type { AnyStateNode } from 'xstate';
import { regionsOrChildren } from './model.ts';

/**
 * The ancestors that complete when `finalNode` is entered, nearest first (its compound parent, then each parallel
 * ancestor whose other regions `regionCanComplete` accepts). Completion of the root means the run is done.
 */
export function completedBy(finalNode: AnyStateNode, regionCanComplete: (region: AnyStateNode) => boolean): AnyStateNode[] {
  const completed: AnyStateNode[] = [];
  let current = finalNode.parent;
  if (finalNode.type !== 'final' || !current) return completed;
  while (current) {
    completed.push(current);
    const parent: AnyStateNode | undefined = current.parent;
    if (parent?.type !== 'parallel') break;
    const done = current;
    if (!regionsOrChildren(parent).every((region) => region === done || regionCanComplete(region))) break;
    current = parent;
  }
  return completed;
}

/** Whether entering `node` (or a state below it) could leave it in a completed state: XState's isInFinalState. */
export function hasFinalChild(node: AnyStateNode, reached: ReadonlySet<AnyStateNode>): boolean {
  if (node.type === 'final') return true;
  if (node.type === 'compound') return regionsOrChildren(node).some((c) => c.type === 'final' && reached.has(c));
  if (node.type === 'parallel') return regionsOrChildren(node).every((r) => hasFinalChild(r, reached));
  return false;
}
