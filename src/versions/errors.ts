// The refusal of a workflow version: it cannot be built, stored or loaded (a WORKFLOW_LOAD error, like a bad module).
import { HarnessError } from '../errors.ts';

export class VersionError extends HarnessError {
  override name = 'VersionError';
  /** What went wrong without naming the version: what a load by file path reports (the file names it there). */
  readonly reason: string;
  constructor(message: string, reason = message) {
    super('WORKFLOW_LOAD', message);
    this.reason = reason;
  }
}
