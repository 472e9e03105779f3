// The retry policy's one table: which kinds of failure are worth another attempt, and which are the host's, not the model's.
import type { ErrorKind } from './types.ts';

interface Policy {
  /** Worth another try at all. */
  retry: boolean;
  /** The infrastructure failed (the host, not the model): ridden out without spending a retry or a rung. */
  outage: boolean;
}

// Transient trouble and bad output may go away on a second try; a missing model, a rejected request or a
// caller's cancellation never will. A spent budget stays spent (another attempt would overspend it), and an
// internal failure is our bug: retrying would pay for more calls to hide it. A prompt too long for the model's
// window is as long on a second try (a step escalates it to a model with a larger window, or compacts it first), and
// is the prompt's fault, not the host's. A refused, reset, timed-out, busy (503) or failing (5xx) host says nothing
// about the model or the prompt: those are outages, whoever made the call (a step or a judge), and never count as a
// model's attempt.
const policy: Readonly<Record<ErrorKind, Policy>> = {
  timeout: { retry: true, outage: true },
  connection: { retry: true, outage: true },
  busy: { retry: true, outage: true },
  server: { retry: true, outage: true },
  'invalid-output': { retry: true, outage: false },
  'model-not-found': { retry: false, outage: false },
  'bad-request': { retry: false, outage: false },
  aborted: { retry: false, outage: false },
  budget: { retry: false, outage: false },
  internal: { retry: false, outage: false },
  context: { retry: false, outage: false },
};

export function isRetryable(kind: ErrorKind): boolean {
  return policy[kind].retry;
}

/** The host failed, not the model: retried with backoff and, past the run's bound, parked — never a model's attempt. */
export function isOutage(kind: ErrorKind | undefined): boolean {
  return kind !== undefined && policy[kind].outage;
}
