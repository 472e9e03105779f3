// The one refusal of an evaluation's inputs (dataset, variants, assertions, eval directory): a clear line, exit 2.
import { HarnessError } from '../errors.ts';

/** A dataset, variant, assertion or eval directory the person must fix; nothing is written when one is thrown. */
export class EvalInputError extends HarnessError {
  override name = 'EvalInputError';
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}
