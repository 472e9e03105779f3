// One line of the results table (a figure against its baseline and target), and the table itself.

export type Verdict = 'PASS' | 'MISS' | 'info';

export interface Row {
  /** Benchmark number and short name, e.g. `1 call`. */
  id: string;
  measure: string;
  baseline: string;
  candidate: string;
  /** The difference or ratio against the baseline. */
  result: string;
  target: string;
  verdict: Verdict;
}

export interface BenchResult {
  rows: Row[];
  /** Context the figures need (sizes, caveats), printed under the table. */
  notes: string[];
}

export const ms = (value: number): string => `${value < 10 ? value.toFixed(3) : value.toFixed(1)} ms`;
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const signed = (value: number, unit: (v: number) => string): string => (value < 0 ? `-${unit(-value)}` : `+${unit(value)}`);

export const verdict = (pass: boolean | null): Verdict => (pass === null ? 'info' : pass ? 'PASS' : 'MISS');

/** Candidate minus baseline, in ms; `max` is the target for the difference (null: information only). */
export function differenceRow(id: string, measure: string, baseline: number, candidate: number, max: number | null): Row {
  const diff = candidate - baseline;
  return {
    id,
    measure,
    baseline: ms(baseline),
    candidate: ms(candidate),
    result: signed(diff, ms),
    target: max === null ? 'info' : `≤ +${ms(max)}`,
    verdict: verdict(max === null ? null : diff <= max),
  };
}

/** Candidate over baseline; `target` says which way it must go (null: information only). */
export function ratioRow(
  id: string,
  measure: string,
  baseline: number,
  candidate: number,
  target: { max: number } | { min: number } | null,
  unit: (v: number) => string = ms,
): Row {
  const ratio = candidate / baseline;
  let text = 'info';
  let pass: boolean | null = null;
  if (target !== null && 'max' in target) {
    text = `≤ ×${target.max}`;
    pass = ratio <= target.max;
  } else if (target !== null) {
    text = `≥ ×${target.min}`;
    pass = ratio >= target.min;
  }
  return { id, measure, baseline: unit(baseline), candidate: unit(candidate), result: `×${ratio.toFixed(3)}`, target: text, verdict: verdict(pass) };
}

/** Rows as an aligned plain-text table. */
export function formatTable(rows: readonly Row[]): string {
  const columns: (keyof Row)[] = ['id', 'measure', 'baseline', 'candidate', 'result', 'target', 'verdict'];
  const header = ['#', 'measure', 'baseline', 'candidate', 'Δ / ratio', 'target', 'verdict'];
  const cells = [header, ...rows.map((row) => columns.map((column) => row[column]))];
  const widths = header.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  const line = (values: readonly string[]) => values.map((value, i) => value.padEnd(widths[i] ?? 0)).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-|-');
  return [line(header), rule, ...cells.slice(1).map(line)].join('\n');
}
