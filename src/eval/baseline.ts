// A CI gate: this eval against an earlier one, variant by variant and case by case; regressions named.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EvalInputError } from './errors.ts';
import { paths } from './eval-dir.ts';
import type { EvalReport } from './report.ts';

export interface CaseChange {
  variant: string;
  caseId: string;
  before: string;
  after: string;
  /** Why it does not pass now (for a regression). */
  reason: string;
  runId: string;
}

export interface VariantComparison {
  name: string;
  before: { passRate: number; cases: number } | null;
  after: { passRate: number; cases: number };
  /** after − before, in rate (−0.05 is five points down); null for a variant the baseline does not have. */
  delta: number | null;
  /** The drop is more than the gate allows. */
  failed: boolean;
}

export interface BaselineComparison {
  baseline: string;
  maxDrop: number;
  variants: VariantComparison[];
  /** Cases that passed in the baseline and do not now. */
  regressions: CaseChange[];
  /** Cases that did not pass in the baseline and do now. */
  fixes: CaseChange[];
  /** True when any variant's pass rate dropped by more than `maxDrop`. */
  failed: boolean;
}

function isReport(value: unknown): value is EvalReport {
  return typeof value === 'object' && value !== null && Reflect.get(value, 'format') === 1 && Array.isArray(Reflect.get(value, 'variants')) && Array.isArray(Reflect.get(value, 'cases'));
}

/**
 * The baseline's report: `--baseline` names an eval by id (in `evalsDir`), its directory, a report.json, or what
 * `--json` printed (e.g. kept from the main branch). EvalInputError when it is none of those.
 */
export function readBaseline(ref: string, evalsDir: string, cwd: string): { file: string; report: EvalReport } {
  const candidates = [resolve(cwd, ref), join(resolve(cwd, evalsDir), ref)];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const file = statSync(candidate).isDirectory() ? paths(candidate).report : candidate;
    if (!existsSync(file)) throw new EvalInputError(`--baseline ${ref}: ${candidate} has no report.json (did that eval finish?)`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new EvalInputError(`--baseline ${ref}: ${file} is not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    // What `harness eval --json` prints holds the report under `report`: kept as a baseline, it works as well.
    const report = isReport(json) ? json : typeof json === 'object' && json !== null ? Reflect.get(json, 'report') : undefined;
    if (!isReport(report)) throw new EvalInputError(`--baseline ${ref}: ${file} is not an eval report`);
    return { file, report };
  }
  throw new EvalInputError(`--baseline ${ref}: no such eval, directory or report (looked in ${candidates.join(' and ')})`);
}

/** Compares `now` with `baseline`; the gate fails when a variant's pass rate drops by more than `maxDrop` (a rate). */
export function compareWithBaseline(now: EvalReport, baseline: EvalReport, file: string, maxDrop: number): BaselineComparison {
  const variants = now.variants.map((v): VariantComparison => {
    const old = baseline.variants.find((b) => b.name === v.name);
    const delta = old ? v.passRate - old.passRate : null;
    return {
      name: v.name,
      before: old ? { passRate: old.passRate, cases: old.cases } : null,
      after: { passRate: v.passRate, cases: v.cases },
      delta,
      // A float sum must not fail a gate it meets exactly (0.9 − 0.85 is 0.05000000000000004).
      failed: delta !== null && -delta > maxDrop + 1e-9,
    };
  });
  const regressions: CaseChange[] = [];
  const fixes: CaseChange[] = [];
  const earlier = new Map(baseline.cases.map((c) => [c.id, c.variants]));
  for (const c of now.cases) {
    for (const [variant, cell] of Object.entries(c.variants)) {
      const old = earlier.get(c.id)?.[variant];
      if (!old) continue;
      const change = { variant, caseId: c.id, before: old.outcome, after: cell.outcome, reason: cell.reason, runId: cell.runId };
      if (old.outcome === 'pass' && cell.outcome !== 'pass') regressions.push(change);
      if (old.outcome !== 'pass' && cell.outcome === 'pass') fixes.push(change);
    }
  }
  return { baseline: file, maxDrop, variants, regressions, fixes, failed: variants.some((v) => v.failed) };
}
