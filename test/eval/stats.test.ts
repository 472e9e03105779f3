// The report's numbers: Wilson intervals against published values, nearest-rank percentiles, the score histogram.
import { expect, it } from 'vitest';
import { histogram, nearestRank, wilsonInterval } from '../../src/eval/index.ts';

const rounded = ({ low, high }: { low: number; high: number }) => [Number(low.toFixed(4)), Number(high.toFixed(4))];

it('Wilson 95 % intervals', () => {
  expect(rounded(wilsonInterval(4, 6))).toEqual([0.3, 0.9032]);
  expect(rounded(wilsonInterval(50, 50))).toEqual([0.9287, 1]);
  expect(rounded(wilsonInterval(0, 10))).toEqual([0, 0.2775]);
  expect(rounded(wilsonInterval(81, 263))).toEqual([0.2553, 0.3662]); // Wilson's own example in the literature, 95 %
  expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
});

it('nearest-rank percentiles and ten score bins', () => {
  const values = [15, 20, 35, 40, 50];
  expect([nearestRank(values, 5), nearestRank(values, 30), nearestRank(values, 50), nearestRank(values, 95), nearestRank(values, 100)]).toEqual([15, 20, 35, 50, 50]);
  expect(nearestRank([], 50)).toBe(0);
  expect(histogram([0, 0.05, 0.1, 0.55, 0.99, 1])).toEqual([2, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
});
