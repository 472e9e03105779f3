import { describe, it, expect } from 'vitest';
import { compositeScorer } from '../../src/score/composite.ts';
import { rulesScorer } from '../../src/score/rules.ts';
import type { Scorer } from '../../src/score/types.ts';

const fixed = (value: number, reasons: string[] = []): Scorer => () => ({ value, reasons });

describe('compositeScorer', () => {
  it('takes the weighted mean and prefixes reasons with the part name', async () => {
    const scorer = compositeScorer([
      { name: 'format', scorer: rulesScorer({ contains: ['{'] }), weight: 3 },
      { name: 'style', scorer: fixed(0.5, ['too terse']), weight: 1 },
    ]);
    const score = await scorer({ content: 'no braces' });
    expect(score.value).toBeCloseTo((3 * 0 + 1 * 0.5) / 4);
    expect(score.reasons).toEqual(['format: missing "{"', 'style: too terse']);
    expect(score.pass).toBeUndefined();
    expect(score.parts?.style).toEqual({ value: 0.5, reasons: ['too terse'] });
  });

  it('passes at or above the threshold only', async () => {
    const parts = [
      { name: 'a', scorer: fixed(1), weight: 1 },
      { name: 'b', scorer: fixed(0.5), weight: 1 },
    ];
    expect((await compositeScorer(parts, { threshold: 0.75 })({ content: '' })).pass).toBe(true);
    expect((await compositeScorer(parts, { threshold: 0.76 })({ content: '' })).pass).toBe(false);
  });

  it('clamps out-of-range part values before weighting', async () => {
    const scorer = compositeScorer([
      { name: 'high', scorer: fixed(7), weight: 1 },
      { name: 'nan', scorer: fixed(Number.NaN), weight: 1 },
    ]);
    expect((await scorer({ content: '' })).value).toBe(0.5);
  });

  it('ignores a zero-weight part in the value but keeps its reasons', async () => {
    const scorer = compositeScorer([
      { name: 'main', scorer: fixed(0.8), weight: 2 },
      { name: 'info', scorer: fixed(0, ['noted']), weight: 0 },
    ]);
    const score = await scorer({ content: '' });
    expect(score.value).toBeCloseTo(0.8);
    expect(score.reasons).toEqual(['info: noted']);
  });

  it('passes the input and signal to every part', async () => {
    const seen: unknown[] = [];
    const spy: Scorer = (input, options) => {
      seen.push(input.content, options?.signal);
      return { value: 1, reasons: [] };
    };
    const controller = new AbortController();
    await compositeScorer([{ name: 'spy', scorer: spy, weight: 1 }])({ content: 'hi' }, { signal: controller.signal });
    expect(seen).toEqual(['hi', controller.signal]);
  });

  it('rethrows when a part throws', async () => {
    const broken: Scorer = () => {
      throw new Error('bug');
    };
    await expect(compositeScorer([{ name: 'x', scorer: broken, weight: 1 }])({ content: '' })).rejects.toThrow('bug');
  });

  it('rejects a bad spec when built', () => {
    expect(() => compositeScorer([])).toThrow(RangeError);
    expect(() => compositeScorer([{ name: 'a', scorer: fixed(1), weight: -1 }])).toThrow(RangeError);
    expect(() => compositeScorer([{ name: 'a', scorer: fixed(1), weight: 0 }])).toThrow(RangeError);
    expect(() =>
      compositeScorer([
        { name: 'a', scorer: fixed(1), weight: 1 },
        { name: 'a', scorer: fixed(1), weight: 1 },
      ]),
    ).toThrow(/duplicate/);
    expect(() => compositeScorer([{ name: 'a', scorer: fixed(1), weight: 1 }], { threshold: 2 })).toThrow(RangeError);
  });
});
