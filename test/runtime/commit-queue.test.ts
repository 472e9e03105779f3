// The commit queue: one write at a time, changes made meanwhile folded into one more write, waiters told when their change is on disk.
import { describe, expect, it } from 'vitest';
import { CommitQueue } from '../../src/runtime/commit-queue.ts';

/** A store whose writes finish when the test says so. */
function heldStore() {
  const writes: { checkpoint: number; done: () => void; refuse: (error: Error) => void }[] = [];
  const write = (checkpoint: number) => new Promise<void>((resolve, reject) => writes.push({ checkpoint, done: resolve, refuse: reject }));
  return { writes, write };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CommitQueue', () => {
  it('writes one checkpoint at a time and folds the changes made meanwhile into one more write', async () => {
    const { writes, write } = heldStore();
    let state = 0;
    const written: number[] = [];
    const queue = new CommitQueue(() => state, write, () => written.push(writes.length));
    state = queue.changed();
    const first = queue.commit();
    state = queue.changed();
    const second = queue.commit();
    state = queue.changed();
    void queue.commit();
    expect(writes.map((w) => w.checkpoint)).toEqual([1]);
    writes[0]?.done();
    await tick();
    // The two calls made while the first write was in flight became one write of the state as of then.
    expect(writes.map((w) => w.checkpoint)).toEqual([1, 3]);
    writes[1]?.done();
    await Promise.all([first, second]);
    expect(written).toEqual([1, 2]);
  });

  it('tells a waiter once the change it waits for is on disk, not before', async () => {
    const { writes, write } = heldStore();
    const queue = new CommitQueue(() => 0, write);
    queue.changed();
    const mark = queue.mark;
    const told: string[] = [];
    void queue.until(mark).then(() => told.push('on disk'));
    void queue.commit();
    await tick();
    expect(told).toEqual([]);
    writes[0]?.done();
    await tick();
    expect(told).toEqual(['on disk']);
    await expect(queue.until(mark)).resolves.toBeUndefined();
  });

  it('refuses every waiter, present and future, with the first failure', async () => {
    const { writes, write } = heldStore();
    const queue = new CommitQueue(() => 0, write);
    queue.changed();
    const waiting = queue.until(queue.mark);
    const commit = queue.commit();
    writes[0]?.refuse(new Error('disk full'));
    await expect(commit).rejects.toThrow('disk full');
    await expect(waiting).rejects.toThrow('disk full');
    queue.fail(new Error('later'));
    await expect(queue.until(0)).rejects.toThrow('disk full');
    expect(queue.failure).toEqual({ error: new Error('disk full') });
  });

  it('writes the last checkpoint after the one in flight, so the last state is what is left', async () => {
    const { writes, write } = heldStore();
    const queue = new CommitQueue(() => 1, write);
    queue.changed();
    void queue.commit().catch(() => undefined);
    const last = queue.last(99);
    await tick();
    expect(writes.map((w) => w.checkpoint)).toEqual([1]);
    writes[0]?.refuse(new Error('lost'));
    await tick();
    expect(writes.map((w) => w.checkpoint)).toEqual([1, 99]);
    writes[1]?.done();
    await expect(last).resolves.toBeUndefined();
  });
});
