// The numbers a report gives: a pass rate's confidence interval (Wilson), percentiles, a histogram of scores.

/** z for a two-sided 95 % interval. */
const z95 = 1.959963984540054;

/**
 * The Wilson score interval of `passed` out of `n` at 95 %: unlike the normal approximation it stays inside [0, 1]
 * and is honest for small n and for rates near 0 or 1 (50 of 50 passing gives [0.93, 1], not [1, 1]).
 */
export function wilsonInterval(passed: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = passed / n;
  const z2 = z95 * z95;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/** The nearest-rank percentile (the smallest value with at least p % of the values at or below it); 0 for none. */
export function nearestRank(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

/** Scores in [0, 1] counted in ten bins ([0, 0.1), …, [0.9, 1]). */
export function histogram(scores: readonly number[]): number[] {
  const bins = Array.from({ length: 10 }, () => 0);
  for (const score of scores) {
    const bin = Math.min(9, Math.max(0, Math.floor(score * 10)));
    bins[bin] = (bins[bin] ?? 0) + 1;
  }
  return bins;
}
