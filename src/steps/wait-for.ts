// A state that waits for a person (APPROVE / REJECT …), tagged for the runtime, with an optional persist-safe deadline.
import { ownInvoke } from './invoke-names.ts';

/** The tag the runtime reads to report a run as `waiting` (and to stop driving it until an event arrives). */
export const waitingTag = 'waiting';

/** The tag of a step that gave up on an unreachable host for now: the run is `parked`, resumable, never final. */
export const parkedTag = 'parked';

/** Sent by the runtime to every parked step when a run is resumed: try the host again now. */
export const retryParkedEvent = 'harness.retryParked';

export interface WaitForSpec<TTarget extends string> {
  /** Leave for `target` after `ms`, counted from entering the state and surviving restarts (any length). */
  timeout?: { ms: number; target: TTarget };
}

/**
 * The waiting part of a state: spread it into the state and write its events as usual, so they stay typed. A
 * timeout invokes the persist-safe timer by name: register it with `setup({ actors: { sleepUntil } })`.
 *
 * @example
 * review: { ...waitFor({ timeout: { ms: 86_400_000, target: 'expired' } }),
 *   on: { APPROVE: { target: 'approved', actions: assign({ note: ({ event }) => event.note }) }, REJECT: 'rejected' } }
 */
export function waitFor(): { tags: string[] };
export function waitFor<TTarget extends string>(spec: WaitForSpec<TTarget> & { timeout: NonNullable<WaitForSpec<TTarget>['timeout']> }): {
  tags: string[];
  invoke: { src: 'sleepUntil'; input: () => { until: number }; onDone: { target: TTarget } };
};
export function waitFor<TTarget extends string>(spec: WaitForSpec<TTarget> = {}) {
  const { timeout } = spec;
  const tags = [waitingTag];
  if (!timeout) return { tags };
  // The deadline is fixed when the state is entered: it is the timer's input, persisted with it and restored as is.
  const input = () => ({ until: Date.now() + timeout.ms });
  return { tags, invoke: ownInvoke({ src: 'sleepUntil' as const, input, onDone: { target: timeout.target } }) };
}
