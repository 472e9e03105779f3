// The refusal of a workflow version: it cannot be built, stored or loaded (a WORKFLOW_LOAD error, like a bad module).
import { HarnessError } from '../errors.ts';

export class VersionError extends HarnessError {
  override name = 'VersionError';
  constructor(message: string) {
    super('WORKFLOW_LOAD', message);
  }
}
