// What one case of one variant came to: its run's outcome, assertion verdicts, cost, per-step behaviour and coverage.
import type { RunRecord, RunStatus } from '../store/index.ts';
import { checkAll, type AssertionResult } from './assertions.ts';
import type { CaseCoverage } from './coverage.ts';
import type { Assertion, EvalCase, ExpectedStatus } from './types.ts';
import type { AssertionServices } from './scorer-call.ts';

/** pass: ended as expected and every assertion held; fail: an assertion did not; flagged: flagged though it should
 * not be; error: failed, cancelled, left waiting or parked. */
export type Outcome = 'pass' | 'fail' | 'flagged' | 'error';

/** One model step in one run: what it cost and how it behaved. */
export interface StepBehaviour {
  /** Attempts that reached a model (outage tries left out). */
  attempts: number;
  /** It tried again on the same model (invalid output). */
  retried: boolean;
  /** It moved up its ladder. */
  escalated: boolean;
  /** It ended flagged (the run carries its flag). */
  flagged: boolean;
}

/** One line of an eval's `results.ndjson`: a finished case of a variant. A later line for the same pair wins. */
export interface CaseResult {
  variant: string;
  caseId: string;
  runId: string;
  status: RunStatus;
  expected: ExpectedStatus;
  outcome: Outcome;
  /** Mean of the assertions' scores (a comparison 1 or 0, a scorer its value); 0 when the run did not end as expected. */
  score: number;
  /** Why it is not a pass, in one line (empty for a pass). */
  reason: string;
  assertions: AssertionResult[];
  /** The assertions it was checked with: a result kept under other ones is checked again (from its run, no call made). */
  fingerprint: string;
  usage: { tokensIn: number; tokensOut: number; calls: number; cached: number };
  /** Time the run spent being driven (ms). */
  ms: number;
  steps: Record<string, StepBehaviour>;
  flags: string[];
  coverage: CaseCoverage;
  at: string;
}

const outageKinds = new Set(['connection', 'timeout', 'busy', 'server']);

/** Per model step, from the run's journal: keys end `<pass>.m<rung>.a<attempt>` (`.o<n>` for an outage try). */
export function stepBehaviour(record: RunRecord): Record<string, StepBehaviour> {
  const steps: Record<string, StepBehaviour> = {};
  for (const entry of record.journal) {
    const match = /\.m(\d+)\.a(\d+)(?:\.o\d+)?$/.exec(entry.key);
    if (!match) continue; // a tool call, or a key of another shape
    const step = (steps[entry.step] ??= { attempts: 0, retried: false, escalated: false, flagged: false });
    const kind = typeof entry.result.metadata === 'object' ? Reflect.get(entry.result.metadata, 'error') : undefined;
    const errorKind = typeof kind === 'object' && kind !== null ? Reflect.get(kind, 'kind') : undefined;
    if (typeof errorKind !== 'string' || !outageKinds.has(errorKind)) step.attempts += 1;
    if (Number(match[2]) > 1) step.retried = true;
    if (Number(match[1]) > 0) step.escalated = true;
  }
  for (const [id, step] of Object.entries(steps)) {
    step.flagged = record.flags.some((flag) => flag.startsWith(`${id}: `) || flag.includes(`/${id}: `));
  }
  return steps;
}

/** The assertions of a case: the eval's (for a case expected `done`) and its own; `expected` alone when there are none. */
export function caseAssertions(c: EvalCase, evalAssertions: readonly Assertion[], implicit: Assertion): Assertion[] {
  const all = [...(c.status === 'done' ? evalAssertions : []), ...c.assert];
  return all.length === 0 && c.expected !== undefined && c.status === 'done' ? [implicit] : all;
}

export function fingerprintOf(assertions: readonly Assertion[]): string {
  return JSON.stringify(assertions.map((a) => a.fingerprint));
}

const finished: readonly RunStatus[] = ['done', 'flagged', 'failed', 'cancelled', 'waiting', 'parked'];

/** True for a run an eval can judge (it ended, or it stopped moving by itself); false when it was interrupted. */
export function judgeable(status: RunStatus): boolean {
  return finished.includes(status);
}

/** The case's verdict from its finished run. */
export async function judgeCase(
  c: EvalCase,
  variant: string,
  record: RunRecord,
  assertions: readonly Assertion[],
  extra: { cached: number; coverage: CaseCoverage; signal: AbortSignal; services?: AssertionServices },
): Promise<CaseResult> {
  const base = {
    variant,
    caseId: c.id,
    runId: record.runId,
    status: record.status,
    expected: c.status,
    fingerprint: fingerprintOf(assertions),
    usage: { ...record.usage, cached: extra.cached },
    ms: record.activeMs,
    steps: stepBehaviour(record),
    flags: record.flags,
    coverage: extra.coverage,
    at: new Date().toISOString(),
  };
  if (record.status !== 'done' && record.status !== 'flagged') {
    const why = record.status === 'waiting' ? 'the run is waiting for an event' : record.status === 'parked' ? 'the run parked (a host stayed unreachable)' : `the run ${record.status}${record.error ? `: ${record.error}` : ''}`;
    return { ...base, outcome: 'error', score: 0, reason: why, assertions: [] };
  }
  if (record.status !== c.status) {
    const reason = record.status === 'flagged' ? `flagged: ${record.flags[0] ?? 'no reason given'}` : 'ended done; the case expects it flagged';
    return { ...base, outcome: record.status === 'flagged' ? 'flagged' : 'fail', score: 0, reason, assertions: [] };
  }
  const results = await checkAll(assertions, { output: record.output, expected: c.expected, input: c.input, run: record, signal: extra.signal, ...(extra.services ? { services: extra.services } : {}) });
  const counted = results.filter((r) => r.pass !== null);
  const failing = counted.filter((r) => r.pass === false);
  const score = counted.length === 0 ? 1 : counted.reduce((sum, r) => sum + r.score, 0) / counted.length;
  return {
    ...base,
    outcome: failing.length === 0 ? 'pass' : 'fail',
    score,
    reason: failing.map((r) => (r.reason ? `${r.name}: ${r.reason}` : r.name)).join('; '),
    assertions: results,
  };
}
