// runOffThread: a TypeScript module's function run in a worker thread; its result, its errors, a thread that spins
// forever terminated by a signal or a deadline while the caller's timers keep ticking, and warm threads reused.
import { describe, expect, it } from 'vitest';
import { runOffThread } from '../../src/util/off-thread.ts';
import type * as Work from './fixtures/off-thread-work.ts';

const work = new URL('./fixtures/off-thread-work.ts', import.meta.url);

/** Resolves after `n` turns of a 5 ms interval: progress of this thread's event loop, not a wall-clock figure. */
function ticks(n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const timer = setInterval(() => {
      if (++seen < n) return;
      clearInterval(timer);
      resolve();
    }, 5);
  });
}

/** Waits (bounded by the test's timeout) until the spinning thread's beat counter stops, then checks it stays still. */
async function expectStopped(beats: Int32Array): Promise<void> {
  let last = -1;
  while (Atomics.load(beats, 0) !== last) {
    last = Atomics.load(beats, 0);
    await ticks(10);
  }
  await ticks(20);
  expect(Atomics.load(beats, 0)).toBe(last);
}

describe('runOffThread', () => {
  it('returns what the function returns, sync or async, from a TypeScript module', async () => {
    await expect(runOffThread<typeof Work>(work, 'add', [2, 3])).resolves.toEqual({ sum: 5 });
    await expect(runOffThread<typeof Work>(work.pathname, 'later', ['quiet'])).resolves.toBe('QUIET');
  });

  it('rejects with the message of what the function throws, or of a result it cannot send back', async () => {
    await expect(runOffThread<typeof Work>(work, 'fail', ['on purpose'])).rejects.toThrow('failed: on purpose');
    await expect(runOffThread<typeof Work>(work, 'unsendable', [])).rejects.toThrow(/its result cannot be sent back/);
    // A name the module does not export (from a caller without the module's type).
    await expect(runOffThread<Record<string, () => void>>(work, 'missing', [])).rejects.toThrow(/exports no function missing/);
  });

  it('terminates a thread that never returns when its signal fires; the caller kept ticking meanwhile', async () => {
    const beats = new Int32Array(new SharedArrayBuffer(4));
    const controller = new AbortController();
    const call = runOffThread<typeof Work>(work, 'spin', [beats], { signal: controller.signal });
    // The thread is running (it beats) while this event loop goes on turning: nothing here is blocked.
    while (Atomics.load(beats, 0) === 0) await ticks(1);
    await ticks(20);
    controller.abort(new Error('enough'));
    await expect(call).rejects.toThrow('enough');
    await expectStopped(beats);
  });

  it('terminates it at its deadline', async () => {
    const beats = new Int32Array(new SharedArrayBuffer(4));
    await expect(runOffThread<typeof Work>(work, 'spin', [beats], { timeoutMs: 200 })).rejects.toMatchObject({ name: 'TimeoutError' });
    await expectStopped(beats);
  });

  it('keeps a thread that answered for the next call, and never reuses one it terminated', async () => {
    const first = await runOffThread<typeof Work>(work, 'thread', []);
    expect(first).not.toBe(0); // not the main thread
    expect(await runOffThread<typeof Work>(work, 'thread', [])).toBe(first);
    // The spin takes the warm thread and is terminated with it: the next call gets a fresh one.
    await expect(runOffThread<typeof Work>(work, 'spin', [new Int32Array(new SharedArrayBuffer(4))], { timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(await runOffThread<typeof Work>(work, 'thread', [])).not.toBe(first);
  });

  it('starts nothing for a signal that already fired', async () => {
    const beats = new Int32Array(new SharedArrayBuffer(4));
    await expect(runOffThread<typeof Work>(work, 'spin', [beats], { signal: AbortSignal.abort(new Error('before')) })).rejects.toThrow('before');
    expect(Atomics.load(beats, 0)).toBe(0);
  });
});
