// The one error base of the harness: every refusal carries a code, and callers branch on the code, never on names.

/** Every code a harness error can carry; the CLI maps them to exit codes, the inspector to HTTP statuses. */
export const errorCodes = [
  'INVALID_RUN_ID',
  'RUN_NOT_FOUND',
  'RUN_EXISTS',
  'CORRUPT_RUN',
  'RUN_LOCKED',
  'FENCED',
  'STORE_UNAVAILABLE',
  'INVALID_INPUT',
  'DEFINITION_CHANGED',
  'RUN_FINISHED',
  'EVENT_REJECTED',
  'WORKFLOW_LOAD',
  'INVALID_CONFIG',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export class HarnessError extends Error {
  override name = 'HarnessError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/**
 * True for any error the harness raised on purpose (bad input, a refusal, a lost run), with its code.
 *
 * @example
 * try { await resumeWorkflow(…) } catch (e) { if (isHarnessError(e) && e.code === 'RUN_LOCKED') … }
 */
export function isHarnessError(error: unknown): error is HarnessError {
  return error instanceof HarnessError;
}

/** The same test for one code, the way most callers ask. */
export function hasCode(error: unknown, code: ErrorCode): error is HarnessError {
  return isHarnessError(error) && error.code === code;
}
