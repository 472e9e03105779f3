// Named errors of the run store: each is a refusal with a message a person can act on.

/** Base of every store refusal; `exitCode` follows the CLI's contract (2 bad input, 3 refused). */
export class StoreError extends Error {
  override name = 'StoreError';
  readonly exitCode: number = 3;
}

export class InvalidRunIdError extends StoreError {
  override name = 'InvalidRunIdError';
  override readonly exitCode = 2;
}

export class RunNotFoundError extends StoreError {
  override name = 'RunNotFoundError';
  override readonly exitCode = 2;
}

export class RunExistsError extends StoreError {
  override name = 'RunExistsError';
  override readonly exitCode = 2;
}

/** The run file is not a run record we can read; it is left untouched. */
export class CorruptRunError extends StoreError {
  override name = 'CorruptRunError';
}

/** Another live process drives this run. */
export class RunLockedError extends StoreError {
  override name = 'RunLockedError';
}

/** This process lost the run to a newer driver (its lock went stale and was taken): it must stop writing. */
export class FencedError extends StoreError {
  override name = 'FencedError';
}
