// The run's budget: usage counted from the journal as paid-calls.ts defines it, limits on tokens and driven time.
import { describe, expect, it } from 'vitest';
import { RunBudget } from '../../src/runtime/budget.ts';
import { resultEntry } from '../../src/steps/services.ts';
import type { StoredCall, StoredJournalEntry } from '../../src/store/index.ts';

const call = (tokensIn: number, tokensOut: number): StoredCall => ({
  content: '{}', model: 'm', tokensIn, tokensOut, durationMs: 1, ttftMs: null, success: true, retries: 0, score: null, metadata: { host: 'h' },
});
const entry = (key: string, result: StoredCall, extra: Partial<StoredJournalEntry> = {}): StoredJournalEntry => ({ key, requestHash: 'x', step: 's', result, at: '2026-12-07T00:00:00Z', ...extra });

describe('RunBudget', () => {
  it('counts what the journal paid, judges kept inside entries included; a kept fan-out output is no call', () => {
    const budget = new RunBudget({}, 0, []);
    budget.add([entry('a', call(10, 5)), entry('b', call(1, 1), { judges: [call(3, 2)] }), resultEntry('root/work:p.item.0', 'work.0', { answer: 1 })]);
    expect(budget.usage()).toEqual({ tokensIn: 14, tokensOut: 8, calls: 3 });
    expect(budget.exceeded()).toBeNull();
  });

  it("says when the token budget is spent, a fork's reused calls counting against it as they did in its source", () => {
    const budget = new RunBudget({ tokens: 20 }, 0, [entry('copied', call(10, 5), { reusedFrom: 'source' })]);
    expect(budget.usage()).toEqual({ tokensIn: 0, tokensOut: 0, calls: 0, reused: 1 });
    budget.add([entry('a', call(3, 1))]);
    expect(budget.exceeded()).toBeNull();
    budget.add([entry('b', call(1, 0))]);
    expect(budget.exceeded()).toBe('token budget of 20 spent (20 used)');
  });

  it('times the run on its driven time: earlier drives count, time between drives does not', () => {
    const budget = new RunBudget({ wallMs: 5_000 }, 5_000, [], Date.now());
    expect(budget.clock()).toBeGreaterThanOrEqual(5_000);
    expect(budget.exceeded()).toMatch(/^wall-time budget of 5000 ms spent \(\d+ ms\)$/);
    const fresh = new RunBudget({ wallMs: 60_000 }, 0, [], Date.now());
    expect(fresh.exceeded()).toBeNull();
  });

  it('hands out copies of its usage: a checkpoint cannot change it', () => {
    const budget = new RunBudget({}, 0, []);
    const taken = budget.usage();
    taken.calls = 99;
    expect(budget.usage().calls).toBe(0);
  });
});
