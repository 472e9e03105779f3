// The CLI's one table from a harness error's code to its exit code (README, "CLI reference").
import { isHarnessError, type ErrorCode } from '../errors.ts';
import { ExitCode, UsageError } from './command.ts';

// Bad input (2) is something the person typed or pointed at; refused (3) is a run that may not move as asked.
const exitCodes: Readonly<Record<ErrorCode, number>> = {
  INVALID_RUN_ID: ExitCode.usage,
  RUN_NOT_FOUND: ExitCode.usage,
  RUN_EXISTS: ExitCode.usage,
  INVALID_INPUT: ExitCode.usage,
  EVENT_REJECTED: ExitCode.usage,
  WORKFLOW_LOAD: ExitCode.usage,
  INVALID_CONFIG: ExitCode.usage,
  STORE_UNAVAILABLE: ExitCode.usage,
  CORRUPT_RUN: ExitCode.refused,
  RUN_LOCKED: ExitCode.refused,
  FENCED: ExitCode.refused,
  DEFINITION_CHANGED: ExitCode.refused,
  RUN_FINISHED: ExitCode.refused,
};

/** The exit code of one of our refusals; undefined for anything else (an internal error). */
export function exitCodeOf(error: unknown): number | undefined {
  if (error instanceof UsageError) return error.exitCode;
  if (isHarnessError(error)) return exitCodes[error.code];
  return undefined;
}
