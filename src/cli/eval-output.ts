// How an eval reads on a terminal: progress while it runs, then the table of variants, steps, coverage, what failed.
import type { BaselineComparison } from '../eval/baseline.ts';
import type { CacheStats } from '../eval/cache.ts';
import type { CaseResult } from '../eval/results.ts';
import type { EvalProgress } from '../eval/runner.ts';
import type { EvalReport } from '../eval/report.ts';
import { duration, shellWord, table, truncate } from './format.ts';
import type { Paint } from './io.ts';

const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;
const count = (n: number): string => n.toLocaleString('en-US');

/** Progress: on a terminal one line redrawn in place; otherwise a line per finished case. */
export class EvalProgressView {
  readonly #stream: NodeJS.WritableStream;
  readonly #tty: boolean;
  #open = false;

  constructor(stream: NodeJS.WritableStream, tty: boolean) {
    this.#stream = stream;
    this.#tty = tty;
  }

  update(result: CaseResult, progress: EvalProgress): void {
    const { counts } = progress;
    const tally = `${counts.pass} pass · ${counts.fail} fail · ${counts.flagged} flagged · ${counts.error} error`;
    if (this.#tty) {
      this.#stream.write(`\r\x1b[K${progress.done}/${progress.total} cases  ${tally}  (last: ${result.variant} ${result.caseId} ${result.outcome})`);
      this.#open = true;
      return;
    }
    const cost = `${count(result.usage.tokensIn + result.usage.tokensOut)} tokens, ${result.usage.calls} call(s)${result.usage.cached > 0 ? `, ${result.usage.cached} cached` : ''}`;
    this.#stream.write(`[${progress.done}/${progress.total}] ${result.variant} ${result.caseId} ${result.outcome} (${cost}, ${duration(result.ms)})\n`);
  }

  note(text: string): void {
    this.close();
    this.#stream.write(`${text}\n`);
  }

  close(): void {
    if (this.#open) this.#stream.write('\n');
    this.#open = false;
  }
}

function outcomeColor(outcome: string, p: Paint): (text: string) => string {
  if (outcome === 'pass') return p.green;
  if (outcome === 'error' || outcome === 'flagged') return p.yellow;
  return p.red;
}

/** The machine's name in coverage lines. */
const machineName = (workflowId: string, key: string): string => (key === '' ? `${workflowId} (workflow)` : key);

function listed(items: readonly string[], max: number): string {
  return `${items.slice(0, max).join('; ')}${items.length > max ? `; +${items.length - max} more` : ''}`;
}

/** The report as lines: variants, steps, coverage, cases not passing, and where the runs are. */
export function reportLines(report: EvalReport, p: Paint, runsDir: string, shownCases = 20): string[] {
  const lines: string[] = [];
  const pending = report.variants.reduce((sum, v) => sum + v.pending, 0);
  lines.push(p.bold(`eval ${report.evalId}`) + `  workflow ${report.workflowId}  ${report.dataset.cases} case(s) × ${report.variants.length} variant(s)${pending > 0 ? p.yellow(`  ${pending} not run yet`) : ''}`);
  lines.push('');
  const rows = [['variant', 'pass', 'fail', 'flagged', 'error', 'pass rate', '95% CI (Wilson)', 'score', 'tokens p50/p95', 'time p50/p95', 'calls (cached)']];
  for (const v of report.variants) {
    rows.push([
      v.name, String(v.pass), String(v.fail), String(v.flagged), String(v.error), percent(v.passRate),
      `[${percent(v.interval.low)}, ${percent(v.interval.high)}]`, v.score.mean.toFixed(2),
      `${count(v.tokens.p50)}/${count(v.tokens.p95)}`, `${duration(v.timeMs.p50)}/${duration(v.timeMs.p95)}`, `${count(v.calls.total)} (${count(v.calls.cached)})`,
    ]);
  }
  lines.push(...table(rows));
  for (const v of report.variants) if (v.description !== 'the workflow as written') lines.push(p.dim(`  ${v.name}: ${v.description}`));

  lines.push('', p.bold('steps'));
  const stepRows = report.variants.flatMap((v) => Object.entries(v.steps).map(([step, s]) => [
    `  ${v.name}`, step, `${s.attemptsPerCase.toFixed(2)} attempts/case`, `retry ${percent(s.retryRate)}`, `escalation ${percent(s.escalationRate)}`, `flagged ${percent(s.flagRate)}`,
  ]));
  lines.push(...(stepRows.length > 0 ? table(stepRows) : ['  (no model step made a call)']));

  lines.push('', p.bold('statechart coverage') + p.dim('  (visited / all; never reached)'));
  const coverageRows = report.variants.flatMap((v) => v.coverage.map((m, i) => [
    i === 0 ? `  ${v.name}` : '',
    machineName(report.workflowId, m.machine),
    `transitions ${m.transitions.visited}/${m.transitions.total}`,
    `states ${m.states.visited}/${m.states.total}${m.states.unreached.length > 0 ? ` — never: ${listed(m.states.unreached, 6)}` : ''}`,
  ]));
  lines.push(...table(coverageRows));
  for (const v of report.variants) {
    for (const m of v.coverage) {
      if (m.transitions.unreached.length === 0) continue;
      lines.push(p.dim(`  ${v.name} ${machineName(report.workflowId, m.machine)}: never taken: ${listed(m.transitions.unreached, 4)}`));
    }
  }

  const failing = report.cases.flatMap((c) => Object.entries(c.variants).filter(([, cell]) => cell.outcome !== 'pass').map(([variant, cell]) => ({ id: c.id, variant, cell })));
  if (failing.length > 0) {
    lines.push('', p.bold(`not passing (${failing.length})`));
    lines.push(...table(failing.slice(0, shownCases).map(({ id, variant, cell }) => [`  ${variant}`, id, outcomeColor(cell.outcome, p)(cell.outcome), truncate(cell.reason, 110)])));
    if (failing.length > shownCases) lines.push(p.dim(`  … ${failing.length - shownCases} more (--json, --junit or the inspector list them all)`));
    const first = failing[0];
    if (first) lines.push(p.dim(`  a case's run: harness show ${first.cell.runId} --snapshots ${shellWord(runsDir)}`));
  }
  return lines;
}

export function comparisonLines(comparison: BaselineComparison, p: Paint): string[] {
  const lines = ['', p.bold(`against baseline ${comparison.baseline}`) + p.dim(`  (gate: a drop of more than ${percent(comparison.maxDrop)} fails)`)];
  lines.push(...table(comparison.variants.map((v) => {
    const before = v.before ? percent(v.before.passRate) : '(new)';
    const delta = v.delta === null ? '' : `${v.delta >= 0 ? '+' : ''}${(v.delta * 100).toFixed(1)} pts`;
    return [`  ${v.name}`, `${before} → ${percent(v.after.passRate)}`, delta, v.failed ? p.red('FAILS THE GATE') : p.green('ok')];
  })));
  if (comparison.regressions.length > 0) {
    lines.push(p.bold(`regressions (${comparison.regressions.length}): passed before, not now`));
    lines.push(...table(comparison.regressions.map((r) => [`  ${r.variant}`, r.caseId, `${r.before} → ${p.red(r.after)}`, truncate(r.reason, 100)])));
  }
  if (comparison.fixes.length > 0) lines.push(p.dim(`fixed (${comparison.fixes.length}): ${listed(comparison.fixes.map((f) => `${f.variant}/${f.caseId}`), 10)}`));
  return lines;
}

export function cacheLine(stats: CacheStats, dir: string): string {
  return `call cache ${dir}: ${stats.hits} call(s) answered from it, ${stats.misses} made (${stats.writes} kept)${stats.writeErrors > 0 ? `, ${stats.writeErrors} could not be written` : ''}`;
}
