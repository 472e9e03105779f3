// A workflow: an id, a zod schema for its input, an XState machine, and an optional snapshot migration.
import type { AnyStateMachine, Snapshot } from 'xstate';
import type { ZodType } from 'zod';
import { nameInvokes } from './invoke-names.ts';
import { assertZod4Schema } from '../util/zod-version.ts';
import type { OutagePolicy } from './services.ts';

/** A persisted snapshot as stored with a run (plain JSON). */
export type PersistedSnapshot = Record<string, unknown>;

/** A stored snapshot, checked to be one XState can restore; null when it is not even shaped like one. */
export function restorable(snapshot: PersistedSnapshot): Snapshot<unknown> | null {
  switch (snapshot.status) {
    case 'active':
    case 'stopped':
      return { ...snapshot, status: snapshot.status, output: undefined, error: undefined };
    case 'done':
      return { ...snapshot, status: 'done', output: snapshot.output, error: undefined };
    case 'error':
      return { ...snapshot, status: 'error', output: undefined, error: snapshot.error };
    default:
      return null;
  }
}

export interface Migration {
  /** Rewrites a snapshot taken under definition hash `fromHash` so it restores on the current machine. */
  (snapshot: PersistedSnapshot, fromHash: string): PersistedSnapshot;
}

export interface Workflow<I = unknown> {
  id: string;
  input: ZodType<I>;
  machine: AnyStateMachine;
  migrate?: Migration;
  description?: string;
  /** Default budgets of a run: total tokens (in + out, judges included) and wall time spent being driven. */
  budget?: { tokens?: number; wallMs?: number };
  /** How long its steps ride out an unreachable host before the run parks (default 3 minutes), and retry parked. */
  outage?: Partial<OutagePolicy>;
  /** The largest num_ctx any of its calls may ask for (memory on the hosts is the usual reason); default: none. */
  context?: { maxNumCtx?: number };
}

const workflowIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function defineWorkflow<I>(workflow: Workflow<I>): Workflow<I> {
  assertZod4Schema(workflow.input, `defineWorkflow "${workflow.id}" input`);
  if (!workflowIdPattern.test(workflow.id)) {
    throw new TypeError(`workflow id "${workflow.id}" must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  const limit = workflow.context?.maxNumCtx;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new TypeError(`workflow "${workflow.id}": context.maxNumCtx must be a positive integer, got ${String(limit)}`);
  }
  // Named here so every view (and the definition a run stores) shows the steps' names, not generated ids.
  return Object.freeze({ ...workflow, machine: nameInvokes(workflow.machine) });
}

export function isWorkflow(value: unknown): value is Workflow {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<Workflow>;
  return typeof w.id === 'string' && typeof w.machine === 'object' && w.machine !== null && typeof w.input === 'object';
}
