// Named refusals of the runtime: bad input, a changed definition, a finished run, an event the run can't take.
import { HarnessError } from '../errors.ts';

/** The run's input fails the workflow's input schema. */
export class InputError extends HarnessError {
  override name = 'InputError';
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}

/** The workflow's machine is not the one the run was started with, and the workflow has no `migrate`. */
export class DefinitionChangedError extends HarnessError {
  override name = 'DefinitionChangedError';
  constructor(message: string) {
    super('DEFINITION_CHANGED', message);
  }
}

/** The run already ended (done, flagged, failed or cancelled). */
export class RunFinishedError extends HarnessError {
  override name = 'RunFinishedError';
  constructor(message: string) {
    super('RUN_FINISHED', message);
  }
}

/** The event is not accepted in the run's current state. */
export class EventRejectedError extends HarnessError {
  override name = 'EventRejectedError';
  constructor(message: string) {
    super('EVENT_REJECTED', message);
  }
}

/** The workflow file is missing, fails to load, or does not export a workflow. */
export class WorkflowLoadError extends HarnessError {
  override name = 'WorkflowLoadError';
  constructor(message: string) {
    super('WORKFLOW_LOAD', message);
  }
}
