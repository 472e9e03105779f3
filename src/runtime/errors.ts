// Named refusals of the runtime: a changed definition, bad input, a finished run, an event the run can't take.

export class RuntimeError extends Error {
  override name = 'RuntimeError';
  readonly exitCode: number = 3;
}

/** The workflow's machine is not the one the run was started with, and the workflow has no `migrate`. */
export class DefinitionChangedError extends RuntimeError {
  override name = 'DefinitionChangedError';
}

/** The run's input fails the workflow's input schema. */
export class InputError extends RuntimeError {
  override name = 'InputError';
  override readonly exitCode = 2;
}

/** The run already ended (done, flagged, failed or cancelled). */
export class RunFinishedError extends RuntimeError {
  override name = 'RunFinishedError';
}

/** The event is not accepted in the run's current state. */
export class EventRejectedError extends RuntimeError {
  override name = 'EventRejectedError';
  override readonly exitCode = 2;
}
