// toMermaid: a Mermaid stateDiagram-v2 of a machine definition (nesting, parallel regions, guards).
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { eventLabel, guardLabel, invokeOutcome } from './labels.ts';
import { allNodes, childrenOf, edgesOf, type Edge } from './model.ts';

// Words Mermaid's state lexer gives a meaning; a state called 'note' or 'class' would break the parse.
const reserved = new Set(['state', 'note', 'end', 'direction', 'class', 'classdef', 'style', 'scale', 'as', 'hide', 'statediagram']);
const anyStateId = 'any_state';

export function toMermaid(machine: AnyStateMachine): string {
  const ids = assignIds(machine);
  const id = (n: AnyStateNode) => ids.get(n) as string;
  const lines = ['stateDiagram-v2'];
  const emit = (depth: number, line: string): void => {
    lines.push(`${'  '.repeat(depth)}${line}`);
  };

  const declare = (node: AnyStateNode, depth: number): void => {
    const head = `state "${quote(node.type === 'history' ? `${node.key} (history)` : node.key)}" as ${id(node)}`;
    if (node.type !== 'compound' && node.type !== 'parallel') return emit(depth, head);
    emit(depth, `${head} {`);
    body(node, depth + 1);
    emit(depth, '}');
  };
  const body = (node: AnyStateNode, depth: number): void => {
    const children = childrenOf(node);
    if (node.type === 'parallel') {
      // Mermaid separates concurrent regions with '--'; at the top level it has no such syntax.
      children.forEach((region, i) => {
        if (i > 0 && node.parent) emit(depth, '--');
        declare(region, depth);
      });
      return;
    }
    const initial = node.type === 'compound' ? node.initial.target[0] : undefined;
    if (initial) emit(depth, `[*] --> ${id(initial)}`);
    for (const child of children) declare(child, depth);
    for (const child of children) if (child.type === 'final') emit(depth, `${id(child)} --> [*]`);
  };
  body(machine.root, 1);

  // Arrows come after every declaration so Mermaid never creates a state in the wrong block on first mention.
  const rootEdges = edgesOf(machine.root);
  if (rootEdges.length > 0) emit(1, `state "(any state)" as ${anyStateId}`);
  for (const node of allNodes(machine)) {
    const from = node.parent ? id(node) : anyStateId;
    for (const edge of edgesOf(node)) {
      const guard = guardLabel(edge.guard);
      const label = escapeLabel(`${transitionLabel(edge)}${guard ? ` [${guard}]` : ''}`);
      const targets = edge.targets.length > 0 ? edge.targets.map(id) : [from];
      for (const to of targets) emit(1, `${from} --> ${to} : ${label}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Unique Mermaid identifiers derived from state paths ('review.security' → 'review_security'). */
function assignIds(machine: AnyStateMachine): Map<AnyStateNode, string> {
  const ids = new Map<AnyStateNode, string>();
  const taken = new Set<string>([anyStateId]);
  for (const node of allNodes(machine)) {
    if (!node.parent) continue;
    let base = node.path.join('_').replace(/[^A-Za-z0-9_]/g, '_');
    // The lexer reads a leading 'default' as a keyword even inside a longer word.
    if (!/^[A-Za-z]/.test(base) || reserved.has(base.toLowerCase()) || /^default/i.test(base)) base = `s_${base}`;
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    ids.set(node, candidate);
  }
  return ids;
}

/** A state's description sits between double quotes; Mermaid turns '#quot;' back into one when it renders. */
function quote(text: string): string {
  return text.replace(/[#"]/g, (c) => (c === '"' ? '#quot;' : '#35;')).replace(/[\r\n]+/g, ' ');
}

/**
 * An invoke's result as `callModel done`: the 'done: callModel' of findings would need its colon written as an entity
 * ('#58;'), which is what a person reads in the terminal.
 */
function transitionLabel(edge: Edge): string {
  const invoke = invokeOutcome(edge);
  return invoke ? `${invoke.actor} ${invoke.outcome}` : eventLabel(edge);
}

/**
 * A transition label ends at the next ':' or ';', and '%%' starts a comment, so these become Mermaid entity
 * codes (an event 'task:done' is written 'task#58;done' and rendered with its colon); names written by XState and
 * the harness never need them.
 */
function escapeLabel(text: string): string {
  return text.replace(/[#%:;]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\r\n]+/g, ' ');
}
