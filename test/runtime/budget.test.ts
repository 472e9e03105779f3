// The run's budget: usage counted from the journal (judges kept inside old entries too), limits on tokens and driven time.
import { describe, expect, it } from 'vitest';
import { RunBudget } from '../../src/runtime/budget.ts';

const call = (tokensIn: number, tokensOut: number) => ({ tokensIn, tokensOut, model: 'm' });

describe('RunBudget', () => {
  it('counts what the journal paid, judges kept inside entries included', () => {
    const budget = new RunBudget({}, 0, []);
    budget.add([{ result: call(10, 5) }, { result: call(1, 1), judges: [call(3, 2)] }]);
    expect(budget.usage()).toEqual({ tokensIn: 14, tokensOut: 8, calls: 3 });
    expect(budget.exceeded()).toBeNull();
  });

  it('says when the token budget is spent', () => {
    const budget = new RunBudget({ tokens: 20 }, 0, []);
    budget.add([{ result: call(15, 4) }]);
    expect(budget.exceeded()).toBeNull();
    budget.add([{ result: call(1, 0) }]);
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
