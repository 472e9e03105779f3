// A persist-safe timer: waits until an absolute deadline carried in its input, so a restored run waits only what is left.
import { fromPromise } from 'xstate';

export interface SleepUntilInput {
  /** Milliseconds since the epoch. */
  until: number;
}

/** Node fires a `setTimeout` above 2^31−1 ms (24.8 days) after ~1 ms: longer waits are taken in slices. */
const maxSlice = 2 ** 31 - 1;

/**
 * XState drops `after` timers on restore (issue #5331). A restored child of this logic is restarted with the same
 * input, and the same absolute deadline, so the wait survives a crash without waiting twice.
 *
 * @example
 * invoke: { src: sleepUntil, input: () => ({ until: Date.now() + 60_000 }), onDone: 'expired' }
 */
export const sleepUntil = fromPromise<void, SleepUntilInput>(({ input, signal }) => {
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const tick = () => {
      const left = input.until - Date.now();
      if (left <= 0 || signal.aborted) return resolve();
      timer = setTimeout(tick, Math.min(left, maxSlice));
    };
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
    tick();
  });
});
