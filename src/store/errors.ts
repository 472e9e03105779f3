// Named refusals of the run store, each a HarnessError with its code and a message a person can act on.
import { HarnessError } from '../errors.ts';

export class InvalidRunIdError extends HarnessError {
  override name = 'InvalidRunIdError';
  constructor(message: string) {
    super('INVALID_RUN_ID', message);
  }
}

export class RunNotFoundError extends HarnessError {
  override name = 'RunNotFoundError';
  constructor(message: string) {
    super('RUN_NOT_FOUND', message);
  }
}

export class RunExistsError extends HarnessError {
  override name = 'RunExistsError';
  constructor(message: string) {
    super('RUN_EXISTS', message);
  }
}

/** What the store holds for the run is not a run we can read; it is left untouched. */
export class CorruptRunError extends HarnessError {
  override name = 'CorruptRunError';
  constructor(message: string) {
    super('CORRUPT_RUN', message);
  }
}

/** Another live session drives this run. */
export class RunLockedError extends HarnessError {
  override name = 'RunLockedError';
  /**
   * When the holder's hold runs out unless it is renewed (ms since the epoch), where the store knows (a lease): a dead
   * holder's run is free then, so a worker need not look again sooner than that.
   */
  readonly until: number | undefined;
  constructor(message: string, until?: number) {
    super('RUN_LOCKED', message);
    this.until = until;
  }
}

/** This session lost the run to a newer one (a stale driver): it must stop writing, and nothing it wrote was kept. */
export class FencedError extends HarnessError {
  override name = 'FencedError';
  constructor(message: string) {
    super('FENCED', message);
  }
}

/** The store itself cannot be reached (a database down, a directory gone). */
export class StoreUnavailableError extends HarnessError {
  override name = 'StoreUnavailableError';
  constructor(message: string, options?: ErrorOptions) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

/** A seq the run's history does not hold: exit 2 in the CLI, like a run that is not there. */
export class CheckpointNotFoundError extends RunNotFoundError {
  override name = 'CheckpointNotFoundError';
}
