// The memory store keeps one frozen copy of each commit, shared by the run's state, its history and the driving
// session's record: nothing a caller holds can change what the store keeps, and a restore still gets its own copy.
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/index.ts';
import { checkpoint, meta, tick } from './helpers.ts';

function contextOf(snapshot: unknown): unknown {
  return typeof snapshot === 'object' && snapshot !== null && 'context' in snapshot ? snapshot.context : undefined;
}

describe('MemoryStore: what a commit keeps is shared, and cannot be changed through a kept reference', () => {
  it('a committed checkpoint and timeline in the session record refuse writes; the store reads back what was committed', async () => {
    const store = new MemoryStore();
    const session = await store.create(meta('shared'));
    const given = checkpoint({ snapshot: { status: 'active', value: 'answering', context: { n: 1, items: ['a'] } } });
    await session.commit(given, [tick('GO')]);
    // What the caller handed over stays the caller's: changing it changes nothing stored.
    const givenContext = contextOf(given.snapshot);
    if (typeof givenContext === 'object' && givenContext !== null && 'n' in givenContext) givenContext.n = 99;

    const context = contextOf(session.record.snapshot);
    expect(context).toEqual({ n: 1, items: ['a'] });
    expect(() => {
      if (typeof context === 'object' && context !== null && 'items' in context && Array.isArray(context.items)) context.items.push('b');
    }).toThrow(TypeError);
    expect(() => session.record.flags.push('sneaky')).toThrow(TypeError);
    const [line] = session.record.timeline;
    expect(() => {
      if (line) line.event = 'CHANGED';
    }).toThrow(TypeError);

    const read = await store.read('shared');
    expect(contextOf(read.snapshot)).toEqual({ n: 1, items: ['a'] });
    expect(read.flags).toEqual([]);
    expect(read.timeline.map((entry) => entry.event)).toEqual(['GO']);
    expect(contextOf((await store.checkpointAt('shared', 1)).checkpoint.snapshot)).toEqual({ n: 1, items: ['a'] });
    await session.close();
  });

  it('a session opened to resume gets a snapshot of its own, which a restore may write into', async () => {
    const store = new MemoryStore();
    const first = await store.create(meta('resumed'));
    await first.commit(checkpoint({ snapshot: { status: 'active', value: 'answering', context: { n: 1 } } }));
    await first.close();

    const second = await store.open('resumed');
    const context = contextOf(second.record.snapshot);
    if (typeof context !== 'object' || context === null || !('n' in context)) throw new Error('the snapshot lost its context');
    context.n = 2;
    expect(contextOf((await store.read('resumed')).snapshot)).toEqual({ n: 1 });
    expect(contextOf((await store.checkpointAt('resumed', 1)).checkpoint.snapshot)).toEqual({ n: 1 });
    await second.close();
  });

  it('a cancel watcher is told once, and never after it stopped watching', async () => {
    const store = new MemoryStore();
    const session = await store.create(meta('watched'));
    const told: string[] = [];
    const stopA = store.watchCancel('watched', () => told.push('a'));
    const stopB = store.watchCancel('watched', () => told.push('b'));
    stopB();
    await store.requestCancel('watched');
    await store.requestCancel('watched');
    stopA();
    expect(told).toEqual(['a']);

    // A cancel already requested reaches a new watcher on a later microtask, unless it stops watching first.
    const late: string[] = [];
    store.watchCancel('watched', () => late.push('c'));
    const stopD = store.watchCancel('watched', () => late.push('d'));
    stopD();
    expect(late).toEqual([]);
    await Promise.resolve();
    expect(late).toEqual(['c']);
    await session.close();
  });
});
