import { describe, it, expect } from 'vitest';
import { rulesScorer } from '../../src/score/rules.ts';

describe('rulesScorer', () => {
  it('scores 1 with no reasons when every rule passes', async () => {
    const scorer = rulesScorer({ contains: ['alpha'], notContains: ['TODO'], regex: [/^\w+/], minLength: 3, maxLength: 50 });
    expect(await scorer({ content: 'alpha beta' })).toEqual({ value: 1, reasons: [] });
  });

  it('scores the fraction passed and names each failed rule', async () => {
    const scorer = rulesScorer({ contains: ['alpha', 'gamma'], notContains: ['TODO'], regex: ['\\d{3}'] });
    const score = await scorer({ content: 'alpha TODO' });
    expect(score.value).toBe(1 / 4);
    expect(score.reasons).toEqual(['missing "gamma"', 'contains forbidden "TODO"', 'does not match /\\d{3}/']);
  });

  it('scores 1 when no rules are given', async () => {
    expect(await rulesScorer({})({ content: '' })).toEqual({ value: 1, reasons: [] });
  });

  it('checks min and max length in code points', async () => {
    const scorer = rulesScorer({ minLength: 2, maxLength: 3 });
    expect((await scorer({ content: '😀😀😀' })).value).toBe(1);
    const short = await scorer({ content: 'a' });
    expect(short.value).toBe(0.5);
    expect(short.reasons).toEqual(['length 1 is below minLength 2']);
    const long = await scorer({ content: 'abcd' });
    expect(long.reasons).toEqual(['length 4 is above maxLength 3']);
  });

  it('gives the same answer on every call for a global regex (no lastIndex carry-over)', async () => {
    const scorer = rulesScorer({ regex: [/ok/g] });
    const first = await scorer({ content: 'ok' });
    const second = await scorer({ content: 'ok' });
    expect([first.value, second.value]).toEqual([1, 1]);
  });

  it('matches case-sensitively', async () => {
    const score = await rulesScorer({ contains: ['Alpha'] })({ content: 'alpha' });
    expect(score).toEqual({ value: 0, reasons: ['missing "Alpha"'] });
  });

  it('rejects a bad spec when built', () => {
    expect(() => rulesScorer({ minLength: -1 })).toThrow(RangeError);
    expect(() => rulesScorer({ regex: ['('] })).toThrow(SyntaxError);
  });
});
