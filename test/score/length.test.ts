import { describe, it, expect } from 'vitest';
import { lengthScorer, measureLength } from '../../src/score/length.ts';

describe('lengthScorer', () => {
  it('scores 1 inside the bounds and 0 outside with a reason', async () => {
    const scorer = lengthScorer({ min: 2, max: 4 });
    expect(await scorer({ content: 'abc' })).toEqual({ value: 1, reasons: [] });
    expect(await scorer({ content: 'a' })).toEqual({ value: 0, reasons: ['length 1 chars is below min 2'] });
    expect(await scorer({ content: 'abcde' })).toEqual({ value: 0, reasons: ['length 5 chars is above max 4'] });
  });

  it('peaks at the ideal and falls linearly to the bound on each side', async () => {
    const scorer = lengthScorer({ min: 0, max: 20, ideal: 10 });
    expect((await scorer({ content: 'x'.repeat(10) })).value).toBe(1);
    expect((await scorer({ content: 'x'.repeat(5) })).value).toBe(0.5);
    expect((await scorer({ content: 'x'.repeat(15) })).value).toBe(0.5);
    expect((await scorer({ content: 'x'.repeat(20) })).value).toBe(0);
    expect((await scorer({ content: 'x'.repeat(5) })).reasons).toEqual(['length 5 chars is 5 from ideal 10']);
  });

  it('uses twice the ideal as the upper edge when there is no max', async () => {
    const scorer = lengthScorer({ ideal: 4 });
    expect((await scorer({ content: 'x'.repeat(6) })).value).toBe(0.5);
    expect((await scorer({ content: 'x'.repeat(100) })).value).toBe(0);
  });

  it('counts words when asked', async () => {
    expect(measureLength('  one two\nthree  ', 'words')).toBe(3);
    expect(measureLength('', 'words')).toBe(0);
    const scorer = lengthScorer({ max: 2, unit: 'words' });
    expect((await scorer({ content: 'one two three' })).reasons).toEqual(['length 3 words is above max 2']);
  });

  it('rejects inconsistent bounds when built', () => {
    expect(() => lengthScorer({ min: 5, max: 2 })).toThrow(RangeError);
    expect(() => lengthScorer({ min: 5, ideal: 2 })).toThrow(RangeError);
    expect(() => lengthScorer({ max: Number.NaN })).toThrow(RangeError);
  });
});
