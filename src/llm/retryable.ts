// The retry policy's one table: which kinds of failure are worth another attempt.
import type { ErrorKind } from './types.ts';

// Transient trouble and bad output may go away on a second try; a missing model, a rejected request or a
// caller's cancellation never will.
const retryable: Readonly<Record<ErrorKind, boolean>> = {
  timeout: true,
  connection: true,
  busy: true,
  server: true,
  'invalid-output': true,
  'model-not-found': false,
  'bad-request': false,
  aborted: false,
  // A spent budget stays spent, and our own failure is a bug to fix, not a model to ask again.
  budget: false,
  internal: false,
};

export function isRetryable(kind: ErrorKind): boolean {
  return retryable[kind];
}
