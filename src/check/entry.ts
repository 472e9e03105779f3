// Which state nodes a transition enters, following XState's entry rules (domain, default entry, parallel regions).
import type { AnyStateNode } from 'xstate';
import { type Edge, isDescendant, regionsOrChildren } from './model.ts';

/**
 * The node and what entering it by default enters below it: the initial child of a compound node, every region
 * of a parallel node. A history node stands for any child of its parent (we cannot know which was last).
 */
export function defaultEntry(node: AnyStateNode, into = new Set<AnyStateNode>()): Set<AnyStateNode> {
  if (node.type === 'history') {
    for (const child of node.parent ? regionsOrChildren(node.parent) : []) defaultEntry(child, into);
    return into;
  }
  if (into.has(node)) return into;
  into.add(node);
  if (node.type === 'compound') {
    const initial = node.initial.target[0];
    if (initial) defaultEntry(initial, into);
  } else if (node.type === 'parallel') {
    for (const region of regionsOrChildren(node)) defaultEntry(region, into);
  }
  return into;
}

/** History targets replaced by the children they may restore. */
function effectiveTargets(edge: Edge): AnyStateNode[] {
  return edge.targets.flatMap((t) => (t.type === 'history' && t.parent ? regionsOrChildren(t.parent) : [t]));
}

/** The node whose descendants a transition exits and re-enters (XState's getTransitionDomain); undefined = above root. */
export function transitionDomain(edge: Edge): AnyStateNode | undefined {
  const targets = effectiveTargets(edge);
  if (!edge.reenter && targets.every((t) => t === edge.source || isDescendant(t, edge.source))) return edge.source;
  const [head, ...tail] = [...targets, edge.source];
  for (let a = head?.parent; a; a = a.parent) {
    const ancestor = a;
    if (tail.every((n) => isDescendant(n, ancestor))) return ancestor;
  }
  return edge.reenter ? undefined : edge.source.machine.root;
}

/** Every node the transition enters (and so starts its timers, invokes and entry actions); empty if targetless. */
export function enteredBy(edge: Edge): Set<AnyStateNode> {
  const entered = new Set<AnyStateNode>();
  if (edge.targets.length === 0) return entered;
  const domain = transitionDomain(edge);
  for (const target of effectiveTargets(edge)) {
    // A target that is its own non-reentering source stays active: only what lies below it is entered again.
    if (target === edge.source && domain === edge.source && !edge.reenter) {
      for (const n of defaultEntry(target)) if (n !== target) entered.add(n);
    } else {
      defaultEntry(target, entered);
    }
    // Ancestors below the domain are entered too; a target that is the domain itself has none to enter.
    if (domain && !isDescendant(target, domain)) continue;
    let child = target;
    for (let a = target.parent; a && a !== domain; a = a.parent) {
      entered.add(a);
      enterSiblingRegions(a, child, entered);
      child = a;
    }
    if (domain?.type === 'parallel') enterSiblingRegions(domain, child, entered);
  }
  return entered;
}

function enterSiblingRegions(node: AnyStateNode, onPath: AnyStateNode, entered: Set<AnyStateNode>): void {
  if (node.type !== 'parallel') return;
  for (const region of regionsOrChildren(node)) if (region !== onPath && !entered.has(region)) defaultEntry(region, entered);
}
