// What the page shows for one run, computed from its record alone (no workflow code is loaded to inspect a run).
import { statePaths } from '../runtime/index.ts';
import { summarize, type RunRecord, type RunSummary, type TimelineEntry } from '../store/index.ts';
import { callRows, type CallRow } from './calls.ts';
import { acceptedEvents, parseDefinition, DefinitionError } from './definition.ts';
import { layoutDiagram, type Diagram } from './layout.ts';

/** A child actor of the root (a model call in flight, a sub-agent, a fan-out item) as persisted. */
export interface ChildView {
  id: string;
  src: string;
  status: string;
  /** Active state paths when the child is a machine. */
  state: string[];
}

export interface RunView {
  summary: RunSummary;
  workflow: { id: string; module: string; hash: string };
  input: unknown;
  output: unknown;
  error: string | null;
  flags: string[];
  budget: RunRecord['budget'];
  usage: RunRecord['usage'];
  epoch: number;
  /** Active leaf state paths of the root (`review.security.checking`). */
  active: string[];
  /** Events the run accepts in its current state (what `send` can deliver). */
  accepts: string[];
  children: ChildView[];
  diagram: Diagram | null;
  /** Why there is no diagram, when there is none. */
  diagramError: string | null;
  timeline: TimelineEntry[];
  calls: CallRow[];
  snapshot: RunRecord['snapshot'];
}

function childrenOf(snapshot: RunRecord['snapshot']): ChildView[] {
  const children = snapshot?.children;
  if (typeof children !== 'object' || children === null) return [];
  return Object.entries(children as Record<string, unknown>).map(([id, raw]) => {
    const child = (raw ?? {}) as { src?: unknown; snapshot?: { status?: unknown; value?: unknown } };
    return {
      id,
      src: typeof child.src === 'string' ? child.src : '?',
      status: typeof child.snapshot?.status === 'string' ? child.snapshot.status : 'unknown',
      state: child.snapshot && 'value' in child.snapshot ? statePaths(child.snapshot.value) : [],
    };
  });
}

export function runView(record: RunRecord): RunView {
  const active = record.snapshot ? statePaths(record.snapshot.value) : [];
  let diagram: Diagram | null = null;
  let diagramError: string | null = null;
  let accepts: string[] = [];
  try {
    const root = parseDefinition(record.workflow.definition);
    diagram = layoutDiagram(root);
    // Nothing can be delivered to a run that has ended, whatever its last state would take.
    if (record.snapshot?.status === 'active') accepts = acceptedEvents(root, active);
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error;
    diagramError = error.message;
  }
  return {
    summary: summarize(record),
    workflow: { id: record.workflow.id, module: record.workflow.module, hash: record.workflow.hash },
    input: record.input,
    output: record.output ?? null,
    error: record.error ?? null,
    flags: record.flags,
    budget: record.budget,
    usage: record.usage,
    epoch: record.epoch,
    active,
    accepts,
    children: childrenOf(record.snapshot),
    diagram,
    diagramError,
    timeline: record.timeline,
    calls: callRows(record.journal),
    snapshot: record.snapshot,
  };
}
