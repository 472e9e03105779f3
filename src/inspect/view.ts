// What the page shows for one run, computed from its record alone (no workflow code is loaded to inspect a run).
import { statePaths } from '../runtime/index.ts';
import { summarize, type RunRecord, type RunSummary } from '../store/index.ts';
import { callRows, type CallRow } from './calls.ts';
import { acceptedEvents, parseDefinition, subAgentDefinition, DefinitionError, type StateDef } from '../definition/index.ts';
import { layoutDiagram, type Diagram } from './layout.ts';
import { inFlightCalls, type InFlightCall } from './inflight.ts';
import { describeTimeline, type TimelineRow } from './timeline.ts';
import { usageCallText } from '../runtime/paid-calls.ts';
import { runUsage, type RunUsage } from './usage.ts';

/** A child actor of the root (a model call in flight, a sub-agent, a fan-out item) as persisted. */
export interface ChildView {
  id: string;
  src: string;
  status: string;
  /** Active state paths when the child is a machine. */
  state: string[];
}

/**
 * A live child machine whose definition the run stored (`definition.actors[src]`), drawn like the root: a model
 * step while it runs (its attempts, retries and escalations are its states), a sub-agent, a fan-out and its items.
 */
export interface AgentView {
  /** Child ids from the root, '/'-joined: 'writer', 'writer/draft' for the agent's model step, 'work/work.2'. */
  id: string;
  src: string;
  /** `step` for a model step's machine (its context is the step's bookkeeping), else `machine`. */
  kind: 'step' | 'machine';
  status: string;
  /** Active leaf state paths of the agent. */
  active: string[];
  diagram: Diagram | null;
  diagramError: string | null;
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
  /** The run's calls as every command counts them (`19 paid, 1 reused`). */
  callsText: string;
  epoch: number;
  /** Active leaf state paths of the root (`review.security.checking`). */
  active: string[];
  /** Events the run accepts in its current state (what `send` can deliver). */
  accepts: string[];
  /** Every child actor of the root: model steps under way, sub-agents, fan-outs, timers. */
  children: ChildView[];
  /** Live child machines with a stored definition (steps, sub-agents), at any depth, parents before their own. */
  agents: AgentView[];
  diagram: Diagram | null;
  /** Why there is no diagram, when there is none. */
  diagramError: string | null;
  /** The events in order, each with `who` and `text`: what happened, in words. */
  timeline: TimelineRow[];
  /** Journaled calls, each followed by the judge calls that graded it. */
  calls: CallRow[];
  /** Calls in flight in the persisted snapshot (any process's run): model and attempt of each active attempt. */
  inflight: InFlightCall[];
  /** Calls, tokens and model time of the run, in total, per model and per step (judges included). */
  usageDetail: RunUsage;
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

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

interface Drawn {
  root: StateDef | null;
  diagram: Diagram | null;
  diagramError: string | null;
}

/**
 * Layouts by definition: every poll redraws every live child, a fan-out's items share one machine, and placing the
 * labels off the arrows costs milliseconds a chart. Bounded: the oldest is dropped first.
 */
const drawn = new Map<string, Drawn>();
const drawnKept = 64;
/**
 * The same, by object: a fan-out's items, and every poll of a run on a version, hand in one shared (frozen) definition,
 * which need not be written out as JSON again to be found.
 */
const drawnByObject = new WeakMap<object, Drawn>();

function draw(definition: unknown): Drawn {
  const shared = typeof definition === 'object' && definition !== null && Object.isFrozen(definition) ? definition : null;
  const seen = shared && drawnByObject.get(shared);
  if (seen) return seen;
  const key = JSON.stringify(definition) ?? 'undefined';
  let known = drawn.get(key);
  if (!known) {
    known = drawFresh(definition);
    drawn.set(key, known);
    if (drawn.size > drawnKept) drawn.delete(drawn.keys().next().value ?? key);
  }
  if (shared) drawnByObject.set(shared, known);
  return known;
}

function drawFresh(definition: unknown): Drawn {
  try {
    const root = parseDefinition(definition);
    return { root, diagram: layoutDiagram(root), diagramError: null };
  } catch (error) {
    if (!(error instanceof DefinitionError)) throw error;
    return { root: null, diagram: null, diagramError: error.message };
  }
}

/** A model step's own context (see StepContext): what tells a step's machine from a sub-agent's. */
function isStepContext(context: unknown): boolean {
  return isObject(context) && typeof context.step === 'string' && typeof context.rung === 'number' && Array.isArray(context.attempts);
}

/** Live children that are machines the run's definition describes, and theirs in turn (promise actors are not). */
function agentsOf(snapshot: unknown, definition: unknown, ancestors: readonly Json[], prefix: string): AgentView[] {
  if (!isObject(snapshot) || !isObject(snapshot.children) || !isObject(definition)) return [];
  const chain = [...ancestors, definition];
  return Object.entries(snapshot.children).flatMap(([childId, raw]) => {
    const child = isObject(raw) ? raw : {};
    const src = typeof child.src === 'string' ? child.src : null;
    const agentDefinition = src === null ? null : subAgentDefinition(definition, src, chain);
    if (src === null || agentDefinition === null) return [];
    const agentSnapshot = isObject(child.snapshot) ? child.snapshot : {};
    const id = prefix ? `${prefix}/${childId}` : childId;
    const { diagram, diagramError } = draw(agentDefinition);
    const agent: AgentView = {
      id,
      src,
      kind: isStepContext(agentSnapshot.context) ? 'step' : 'machine',
      status: typeof agentSnapshot.status === 'string' ? agentSnapshot.status : 'unknown',
      active: 'value' in agentSnapshot ? statePaths(agentSnapshot.value) : [],
      diagram,
      diagramError,
    };
    return [agent, ...agentsOf(agentSnapshot, agentDefinition, chain, id)];
  });
}

export function runView(record: RunRecord): RunView {
  const active = record.snapshot ? statePaths(record.snapshot.value) : [];
  const { root, diagram, diagramError } = draw(record.workflow.definition);
  // Nothing can be delivered to a run that has ended, whatever its last state would take.
  const accepts = root && record.snapshot?.status === 'active' ? acceptedEvents(root, active) : [];
  return {
    summary: summarize(record),
    workflow: { id: record.workflow.id, module: record.workflow.module, hash: record.workflow.hash },
    input: record.input,
    output: record.output ?? null,
    error: record.error ?? null,
    flags: record.flags,
    budget: record.budget,
    usage: record.usage,
    callsText: usageCallText(record.usage),
    epoch: record.epoch,
    active,
    accepts,
    children: childrenOf(record.snapshot),
    agents: agentsOf(record.snapshot, record.workflow.definition, [], ''),
    diagram,
    diagramError,
    timeline: describeTimeline(record),
    calls: callRows(record.journal),
    inflight: inFlightCalls(record.snapshot),
    usageDetail: runUsage(record),
    snapshot: record.snapshot,
  };
}
