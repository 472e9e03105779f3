// What a run's input, output and events are for a given workflow: the types `runWorkflow`, `sendToRun` and `getRun` carry.
import type { AnyEventObject, AnyStateMachine, EventFrom, OutputFrom } from 'xstate';
import type { Workflow } from '../steps/workflow.ts';
import type { RunRecord, RunStatus } from '../store/index.ts';
import { WorkflowLoadError } from './errors.ts';

/** `Fallback` where `T` is `any` (a workflow typed only as `Workflow`), so no `any` reaches the caller. */
type OrIfAny<T, Fallback> = 0 extends 1 & T ? Fallback : T;

/** What a run of `W` may be started with: its input schema's input (before defaults and transforms). */
export type InputOf<W extends Workflow> = W extends Workflow<unknown, AnyStateMachine, infer In> ? In : unknown;

/** What a finished run of `W` gives: its machine's `types.output`. */
export type OutputOf<W extends Workflow> = OrIfAny<OutputFrom<W['machine']>, unknown>;

/** The events a run of `W` may be sent: its machine's `types.events`. */
export type EventOf<W extends Workflow> = OrIfAny<EventFrom<W['machine']>, AnyEventObject>;

/** The statuses in which a run has its machine's output. */
type EndedWithOutput = 'done' | 'flagged';

/**
 * A run of workflow `W`: `output` is the machine's output, present once the run is `done` or `flagged` (so
 * `if (run.status === 'done') run.output` needs no check).
 */
export type RunOf<W extends Workflow = Workflow> = Omit<RunRecord, 'status' | 'output'> &
  ({ status: EndedWithOutput; output: OutputOf<W> } | { status: Exclude<RunStatus, EndedWithOutput>; output?: undefined });

/** Refuses a run of another workflow before a workflow given by the caller types it (or drives it). */
export function assertRunOf(record: Pick<RunRecord, 'runId' | 'workflow'>, workflow: Workflow): void {
  if (record.workflow.id !== workflow.id) {
    throw new WorkflowLoadError(`run ${record.runId} is a run of workflow ${record.workflow.id}, not ${workflow.id}`);
  }
}

/**
 * The run as a run of `W`, the workflow the caller gave (checked with `assertRunOf`) or named. Its output comes from the
 * store as JSON: the machine's `types.output` is what says what it is.
 */
export function runOf<W extends Workflow>(record: RunRecord): RunOf<W> {
  const { status, output, ...rest } = record;
  // The one place a run's output gets its type (see above); a run has its output exactly when it ended done or flagged.
  if (status === 'done' || status === 'flagged') return { ...rest, status, output: output as OutputOf<W> };
  return { ...rest, status };
}
