// Rule unbounded-loop: cycles the machine can run by itself forever, because no transition on them has a guard.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { completedBy } from '../completion.ts';
import { defaultEntry, enteredBy } from '../entry.ts';
import { describeEdge } from '../labels.ts';
import { allNodes, ancestorsOf, automaticKinds, type Edge, edgesOf, pathOf } from '../model.ts';
import type { Finding } from '../types.ts';

interface Step {
  to: AnyStateNode;
  edge: Edge;
}

export function unboundedLoop(machine: AnyStateMachine): Finding[] {
  const nodes = allNodes(machine);
  // Pass 1 without parallel completion; it tells which regions finish by themselves, which pass 2 needs.
  const plain = buildGraph(nodes, () => false);
  const graph = buildGraph(nodes, (region) => completesAlone(region, plain));
  const findings: Finding[] = [];
  for (const component of stronglyConnected(nodes, graph)) {
    const members = new Set(component);
    const loopSteps = component.flatMap((n) => (graph.get(n) ?? []).filter((s) => members.has(s.to)));
    if (loopSteps.length === 0) continue;
    const edges = [...new Set(loopSteps.map((s) => describeEdge(s.edge, pathOf)))];
    const first = [...component].sort((a, b) => a.order - b.order)[0] as AnyStateNode;
    findings.push({
      rule: 'unbounded-loop',
      severity: 'error',
      path: pathOf(first),
      message:
        `these transitions need no outside event and have no guard, so they can cycle forever: ` +
        `${edges.join('; ')}. Guard one of them (e.g. a retry counter)`,
    });
  }
  return findings;
}

const isFree = (edge: Edge) => automaticKinds.has(edge.kind) && edge.guard === undefined && edge.targets.length > 0;

/**
 * Vertex = an active state node; an arc = a guard-less automatic transition that can fire while it is active,
 * to each node that transition enters. `always` of ancestors fire while inside; `after` and invokes only start
 * when their node is (re)entered; a final child fires its parent's onDone.
 */
function buildGraph(nodes: AnyStateNode[], regionCompletesAlone: (region: AnyStateNode) => boolean): Map<AnyStateNode, Step[]> {
  const graph = new Map<AnyStateNode, Step[]>();
  for (const node of nodes) {
    const steps: Step[] = [];
    const follow = (edge: Edge) => {
      const entered = enteredBy(edge);
      // A non-reentering self-transition enters nothing, yet an `always` on a still-active node fires again.
      if (entered.size === 0 && edge.kind === 'always') steps.push({ to: node, edge });
      for (const to of entered) steps.push({ to, edge });
    };
    for (const edge of edgesOf(node)) if (isFree(edge) && edge.kind !== 'state-done') follow(edge);
    for (const ancestor of ancestorsOf(node)) {
      for (const edge of edgesOf(ancestor)) if (isFree(edge) && edge.kind === 'always') follow(edge);
    }
    for (const done of completedBy(node, regionCompletesAlone)) {
      for (const edge of edgesOf(done)) if (isFree(edge) && edge.kind === 'state-done') follow(edge);
    }
    graph.set(node, steps);
  }
  return graph;
}

/** Whether a region, once entered, reaches one of its final children through guard-less automatic steps only. */
function completesAlone(region: AnyStateNode, graph: Map<AnyStateNode, Step[]>): boolean {
  const seen = new Set(defaultEntry(region));
  const queue = [...seen];
  for (let n = queue.pop(); n; n = queue.pop()) {
    if (n.type === 'final' && n.parent === region) return true;
    for (const { to } of graph.get(n) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return false;
}

/** Tarjan's algorithm; components of one node are kept only when that node has an arc to itself. */
function stronglyConnected(nodes: AnyStateNode[], graph: Map<AnyStateNode, Step[]>): AnyStateNode[][] {
  const index = new Map<AnyStateNode, number>();
  const low = new Map<AnyStateNode, number>();
  const onStack = new Set<AnyStateNode>();
  const stack: AnyStateNode[] = [];
  const out: AnyStateNode[][] = [];
  let counter = 0;
  const visit = (v: AnyStateNode) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: AnyStateNode[] = [];
    for (let w = stack.pop(); w; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    const selfLoop = (graph.get(v) ?? []).some((s) => s.to === v);
    if (component.length > 1 || selfLoop) out.push(component);
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}
