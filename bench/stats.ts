// Summary statistics of timing samples, and interleaved sampling so that drift hits baseline and candidate alike.

/** The p-th percentile (0-100) with linear interpolation between the two nearest ranks. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new RangeError('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const low = sorted[Math.floor(rank)] as number;
  const high = sorted[Math.ceil(rank)] as number;
  return low + (high - low) * (rank - Math.floor(rank));
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('mean of no samples');
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

/** Milliseconds spent in `fn`, measured with the monotonic clock. */
export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Runs every function once per round, rotating their order each round (ABC, BCA, CAB, …), so a slow drift of the
 * machine (another process, GC, thermal) lands on each of them equally. Returns the samples per name, in ms.
 */
export async function interleave<K extends string>(
  rounds: number,
  fns: Record<K, () => Promise<unknown>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(fns) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<K, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length] as K;
      samples[name].push(await timed(fns[name]));
    }
  }
  return samples;
}
