// A persist-safe timer: waits until an absolute deadline carried in its input, so a restored run waits only what is left.
import { fromPromise } from 'xstate';

export interface SleepUntilInput {
  /** Milliseconds since the epoch. */
  until: number;
}

/**
 * XState drops `after` timers on restore (issue #5331). A restored child of this logic is restarted with the same
 * input, and the same absolute deadline, so the wait survives a crash without waiting twice.
 */
export const sleepUntil = fromPromise<void, SleepUntilInput>(({ input, signal }) => {
  const wait = Math.max(0, input.until - Date.now());
  return new Promise<void>((resolve) => {
    if (wait === 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, wait);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
});
