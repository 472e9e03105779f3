// The run's journal: an entry waits for its call's checkpoint, is counted once per key, and a refused append stops the run.
import { describe, expect, it } from 'vitest';
import { RunBudget } from '../../src/runtime/budget.ts';
import { CommitQueue } from '../../src/runtime/commit-queue.ts';
import { RunJournal } from '../../src/runtime/run-journal.ts';
import type { JournalEntry } from '../../src/steps/services.ts';
import type { ModelResult } from '../../src/llm/types.ts';

function entry(key: string, tokensIn: number): JournalEntry {
  const result: ModelResult = { content: 'ok', model: 'm', tokensIn, tokensOut: 1, durationMs: 1, ttftMs: null, success: true, retries: 0, score: null, metadata: { host: 'http://127.0.0.1:1' } };
  return { key, requestHash: 'h', step: 's', result, at: '2026-01-01T00:00:00.000Z' };
}

describe('RunJournal', () => {
  it('appends an entry only once the checkpoint of its mark is on disk, and counts a rewritten key once', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const queue = new CommitQueue(() => 0, () => new Promise<void>((resolve) => (release = () => (order.push('checkpoint'), resolve()))));
    const budget = new RunBudget({}, 0, []);
    const journal = new RunJournal([], queue, budget, { append: async (e) => void order.push(`append ${e.key}`), failed: () => order.push('failed') });
    queue.changed();
    const mark = journal.mark();
    void queue.commit();
    const recorded = journal.record(entry('a', 5), mark);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    release();
    await recorded;
    await journal.record(entry('a', 5)); // the same call written again (its score added)
    expect(order).toEqual(['checkpoint', 'append a', 'append a']);
    expect(journal.get('a')?.result.tokensIn).toBe(5);
    expect(budget.usage()).toEqual({ tokensIn: 5, tokensOut: 1, calls: 1 });
  });

  it('keeps no sent messages of stored entries, and stops the run when the store refuses an append', async () => {
    const queue = new CommitQueue(() => 0, async () => undefined);
    const failures: unknown[] = [];
    const stored = { ...entry('old', 1), messages: [{ role: 'user' as const, content: 'q' }], epoch: 1 };
    const journal = new RunJournal([stored], queue, new RunBudget({}, 0, []), { append: () => Promise.reject(new Error('FENCED')), failed: (error) => failures.push(error) });
    expect(journal.get('old')).not.toHaveProperty('messages');
    await expect(journal.record(entry('b', 1))).rejects.toThrow('FENCED');
    expect(failures).toHaveLength(1);
    await expect(queue.until(0)).rejects.toThrow('FENCED');
  });
});
