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
  /** Named figures, as `npm run bench -- --json` prints them; each also becomes a row of the table. */
  figures: Record<string, Figure>;
  /** Extra rows for the table only (details behind a figure). */
  rows?: Row[];
  /** Context the figures need (sizes, caveats), printed under the table. */
  notes: string[];
}

/** A goal on a figure's value: `<= 0.5`, `< 50`, `>= 0.97`; null for information only. */
export type Goal = { op: '<=' | '<' | '>='; target: number } | null;

/**
 * One named figure: the median of its repetitions (each a difference or ratio against a baseline measured beside it
 * in the same process), their min and max, and whether the median meets the goal.
 */
export interface Figure {
  value: number;
  spread: [number, number];
  runs: number;
  unit: string;
  goal: string | null;
  met: boolean | null;
  /** What was measured against what, for the table and readers of the JSON. */
  measure: string;
  /** Medians over the repetitions of the baseline and the candidate the value was computed from, where there are two. */
  baseline?: number;
  candidate?: number;
}

const round = (value: number): number => (Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 10_000) / 10_000);
const mid = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[half] as number) : ((sorted[half - 1] as number) + (sorted[half] as number)) / 2;
};

/** A figure from its repetitions' values (and, optionally, each repetition's baseline and candidate). */
export function figure(
  values: readonly number[],
  spec: { unit: string; goal: Goal; measure: string; baselines?: readonly number[]; candidates?: readonly number[] },
): Figure {
  if (values.length === 0) throw new RangeError(`figure "${spec.measure}" has no repetitions`);
  const value = mid(values);
  const { goal } = spec;
  let met: boolean | null = null;
  if (goal?.op === '<=') met = value <= goal.target;
  else if (goal?.op === '<') met = value < goal.target;
  else if (goal?.op === '>=') met = value >= goal.target;
  return {
    value: round(value),
    spread: [round(Math.min(...values)), round(Math.max(...values))],
    runs: values.length,
    unit: spec.unit,
    goal: goal ? `${goal.op} ${goal.target}` : null,
    met,
    measure: spec.measure,
    ...(spec.baselines && spec.baselines.length > 0 ? { baseline: round(mid(spec.baselines)) } : {}),
    ...(spec.candidates && spec.candidates.length > 0 ? { candidate: round(mid(spec.candidates)) } : {}),
  };
}

const withUnit = (value: number, unit: string): string => (unit === 'ratio' ? `×${value}` : `${value} ${unit}`);

/** A figure as a row of the table. */
export function figureRow(name: string, f: Figure): Row {
  const baseUnit = f.unit === 'ratio' ? 'ms' : f.unit;
  return {
    id: name,
    measure: f.measure,
    baseline: f.baseline === undefined ? '-' : `${f.baseline} ${baseUnit}`,
    candidate: f.candidate === undefined ? '-' : `${f.candidate} ${baseUnit}`,
    result: `${withUnit(f.value, f.unit)} [${f.spread[0]}, ${f.spread[1]}]`,
    target: f.goal === null ? 'info' : f.goal.replace('<=', '≤').replace('>=', '≥'),
    verdict: verdict(f.met),
  };
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
