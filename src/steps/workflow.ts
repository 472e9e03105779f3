// A workflow: an id, a zod schema for its input, an XState machine, and an optional snapshot migration.
import type { AnyStateMachine } from 'xstate';
import type { ZodType } from 'zod';

/** A persisted snapshot as stored in a run file (plain JSON). */
export type PersistedSnapshot = Record<string, unknown>;

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
}

const workflowIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function defineWorkflow<I>(workflow: Workflow<I>): Workflow<I> {
  if (!workflowIdPattern.test(workflow.id)) {
    throw new TypeError(`workflow id "${workflow.id}" must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  return Object.freeze({ ...workflow });
}

export function isWorkflow(value: unknown): value is Workflow {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<Workflow>;
  return typeof w.id === 'string' && typeof w.machine === 'object' && w.machine !== null && typeof w.input === 'object';
}
