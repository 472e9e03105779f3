// An eval's report from its manifest and results: per variant pass rate (Wilson 95 %), scores, step behaviour, cost,
// statechart coverage; per case × variant the run and its verdict.
import type { AssertionResult } from './assertions.ts';
import { coverageOf, type MachineCoverage } from './coverage.ts';
import { resultKey, type EvalManifest } from './eval-dir.ts';
import type { CaseResult, Outcome } from './results.ts';
import { histogram, nearestRank, wilsonInterval } from './stats.ts';

export interface StepReport {
  /** Cases in which the step made a call. */
  cases: number;
  attemptsPerCase: number;
  /** Share of those cases in which it retried on the same model, moved up its ladder, ended flagged. */
  retryRate: number;
  escalationRate: number;
  flagRate: number;
}

export interface VariantReport {
  name: string;
  description: string;
  /** Cases finished; `pending` not yet (an eval stopped or still running). */
  cases: number;
  pending: number;
  pass: number;
  fail: number;
  flagged: number;
  error: number;
  passRate: number;
  interval: { method: 'wilson'; level: 0.95; low: number; high: number };
  score: { mean: number; histogram: number[] };
  steps: Record<string, StepReport>;
  tokens: { total: number; p50: number; p95: number };
  timeMs: { p50: number; p95: number };
  /** Model calls of the runs; `cached` of them answered by the call cache (not paid for in this eval). */
  calls: { total: number; cached: number };
  coverage: MachineCoverage[];
}

export interface CellReport {
  runId: string;
  outcome: Outcome;
  status: string;
  score: number;
  reason: string;
  assertions: AssertionResult[];
  tokens: number;
  ms: number;
  calls: number;
  cached: number;
}

export interface EvalReport {
  format: 1;
  evalId: string;
  workflowId: string;
  source: EvalManifest['source'];
  dataset: { file: string; hash: string; cases: number };
  createdAt: string;
  /** Every case of every variant has a result. */
  complete: boolean;
  variants: VariantReport[];
  cases: { id: string; variants: Record<string, CellReport> }[];
}

const rate = (count: number, of: number): number => (of === 0 ? 0 : count / of);
const round = (value: number): number => Math.round(value * 10_000) / 10_000;

function stepsOf(results: readonly CaseResult[]): Record<string, StepReport> {
  const steps: Record<string, { cases: number; attempts: number; retried: number; escalated: number; flagged: number }> = {};
  for (const r of results) {
    for (const [id, s] of Object.entries(r.steps)) {
      const into = (steps[id] ??= { cases: 0, attempts: 0, retried: 0, escalated: 0, flagged: 0 });
      into.cases += 1;
      into.attempts += s.attempts;
      if (s.retried) into.retried += 1;
      if (s.escalated) into.escalated += 1;
      if (s.flagged) into.flagged += 1;
    }
  }
  return Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, {
    cases: s.cases,
    attemptsPerCase: round(rate(s.attempts, s.cases)),
    retryRate: round(rate(s.retried, s.cases)),
    escalationRate: round(rate(s.escalated, s.cases)),
    flagRate: round(rate(s.flagged, s.cases)),
  }]));
}

function variantReport(v: EvalManifest['variants'][number], results: readonly CaseResult[], total: number): VariantReport {
  const count = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const pass = count('pass');
  const { low, high } = wilsonInterval(pass, results.length);
  const tokens = results.map((r) => r.usage.tokensIn + r.usage.tokensOut);
  const times = results.map((r) => r.ms);
  const scores = results.map((r) => r.score);
  return {
    name: v.name,
    description: v.description,
    cases: results.length,
    pending: total - results.length,
    pass,
    fail: count('fail'),
    flagged: count('flagged'),
    error: count('error'),
    passRate: round(rate(pass, results.length)),
    interval: { method: 'wilson', level: 0.95, low: round(low), high: round(high) },
    score: { mean: round(rate(scores.reduce((a, b) => a + b, 0), scores.length)), histogram: histogram(scores) },
    steps: stepsOf(results),
    tokens: { total: tokens.reduce((a, b) => a + b, 0), p50: nearestRank(tokens, 50), p95: nearestRank(tokens, 95) },
    timeMs: { p50: Math.round(nearestRank(times, 50)), p95: Math.round(nearestRank(times, 95)) },
    calls: { total: results.reduce((a, r) => a + r.usage.calls, 0), cached: results.reduce((a, r) => a + r.usage.cached, 0) },
    coverage: coverageOf(v.definition, results.map((r) => r.coverage)),
  };
}

/** The report of what `results` hold so far (an eval still running, or stopped, reports what is done). */
export function buildReport(manifest: EvalManifest, results: ReadonlyMap<string, CaseResult>): EvalReport {
  const caseIds = manifest.dataset.cases;
  const variants = manifest.variants.map((v) => {
    const mine = caseIds.flatMap((id) => {
      const r = results.get(resultKey(v.name, id));
      return r ? [r] : [];
    });
    return variantReport(v, mine, caseIds.length);
  });
  const cases = caseIds.map((id) => ({
    id,
    variants: Object.fromEntries(manifest.variants.flatMap((v) => {
      const r = results.get(resultKey(v.name, id));
      if (!r) return [];
      const cell: CellReport = {
        runId: r.runId, outcome: r.outcome, status: r.status, score: round(r.score), reason: r.reason, assertions: r.assertions,
        tokens: r.usage.tokensIn + r.usage.tokensOut, ms: r.ms, calls: r.usage.calls, cached: r.usage.cached,
      };
      return [[v.name, cell]];
    })),
  }));
  return {
    format: 1,
    evalId: manifest.evalId,
    workflowId: manifest.workflowId,
    source: manifest.source,
    dataset: { file: manifest.dataset.file, hash: manifest.dataset.hash, cases: caseIds.length },
    createdAt: manifest.createdAt,
    complete: variants.every((v) => v.pending === 0),
    variants,
    cases,
  };
}
