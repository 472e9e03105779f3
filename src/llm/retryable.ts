// The retry policy's one table: which kinds of failure are worth another attempt.
import type { ErrorKind } from './types.ts';

// Transient trouble and bad output may go away on a second try; a missing model, a rejected request or a
// caller's cancellation never will. A spent budget stays spent (another attempt would overspend it), and an
// internal failure is our bug: retrying would pay for more calls to hide it. A prompt too long for the model's
// window is as long on a second try (a step escalates it to a model with a larger window, or compacts it first).
const retryable: Readonly<Record<ErrorKind, boolean>> = {
  timeout: true,
  connection: true,
  busy: true,
  server: true,
  'invalid-output': true,
  'model-not-found': false,
  'bad-request': false,
  aborted: false,
  budget: false,
  internal: false,
  context: false,
};

export function isRetryable(kind: ErrorKind): boolean {
  return retryable[kind];
}
