// A workflow: an id, a zod schema for its input, an XState machine, and an optional snapshot migration.
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnyStateMachine, InputFrom, Snapshot } from 'xstate';
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

/**
 * `I` is what the input schema gives the machine, `In` what a caller may pass (before defaults and transforms), `M` the
 * machine: `runWorkflow`, `sendToRun` and `getRun` read the run's input, output and events from them.
 */
export interface Workflow<I = unknown, M extends AnyStateMachine = AnyStateMachine, In = unknown> {
  id: string;
  input: ZodType<I, In>;
  machine: M;
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

/**
 * The module each workflow was defined in, found from the call to `defineWorkflow`: stored with a run started from code
 * without a `modulePath`, so `harness resume` and workers can load it again.
 */
const definedIn = new WeakMap<Workflow, string>();

export function definingModule(workflow: Workflow): string | undefined {
  return definedIn.get(workflow);
}

/** The file of the code that called `defineWorkflow`, when it is a file on disk (not an eval or a REPL). */
function callerFile(): string | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, defineWorkflow);
  // The first frame is the caller's: `at file:///…/x.ts:3:1` or `at name (/…/x.ts:3:1)`.
  const frame = holder.stack?.split('\n').find((line) => line.trimStart().startsWith('at '));
  const location = frame?.match(/\((.*):\d+:\d+\)$/)?.[1] ?? frame?.match(/at (.*):\d+:\d+$/)?.[1];
  if (!location) return undefined;
  let file: string;
  try {
    file = location.startsWith('file://') ? fileURLToPath(location) : location;
  } catch {
    return undefined;
  }
  return isAbsolute(file) && existsSync(file) ? file : undefined;
}

/**
 * Refuses, at compile time, an input schema whose output is not the machine's `types.input`: the parsed input is what
 * the machine starts with, so a schema that gives less would start it with fields missing.
 */
type InputFits<I, M extends AnyStateMachine> = [I] extends [InputFrom<M>]
  ? unknown
  : { machine: { 'the input schema gives': I; 'the machine takes': InputFrom<M> } };

export function defineWorkflow<I, M extends AnyStateMachine = AnyStateMachine, In = unknown>(workflow: Workflow<I, M, In> & InputFits<I, M>): Workflow<I, M, In> {
  assertZod4Schema(workflow.input, `defineWorkflow "${workflow.id}" input`);
  if (!workflowIdPattern.test(workflow.id)) {
    throw new TypeError(`workflow id "${workflow.id}" must be 1-64 letters, digits, '.', '_' or '-'`);
  }
  const limit = workflow.context?.maxNumCtx;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new TypeError(`workflow "${workflow.id}": context.maxNumCtx must be a positive integer, got ${String(limit)}`);
  }
  // Named here so every view (and the definition a run stores) shows the steps' names, not generated ids. The named
  // machine is the author's with ids on its invokes: its types are the author's machine's.
  const defined = Object.freeze({ ...workflow, machine: nameInvokes(workflow.machine) as M });
  const file = callerFile();
  if (file !== undefined) definedIn.set(defined, file);
  return defined;
}

export function isWorkflow(value: unknown): value is Workflow {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<Workflow>;
  return typeof w.id === 'string' && typeof w.machine === 'object' && w.machine !== null && typeof w.input === 'object';
}
