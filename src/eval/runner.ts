// Runs an eval: every case of every variant a real run in the eval's own store, a bounded number at a time; a case
// already finished is not run again, so an eval killed at any point resumes where it was.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode } from '../errors.ts';
import type { HostSet } from '../llm/hosts.ts';
import { resumeWorkflow, runWorkflow, type DriveHooks } from '../runtime/runs.ts';
import { defaultOutagePolicy, type HostLimiter, type OutagePolicy } from '../steps/services.ts';
import type { RunRecord, RunStatus } from '../store/index.ts';
import { assert } from './assertions.ts';
import type { CallCache } from '../steps/call-cache.ts';
import { countingCache } from './cache.ts';
import { CoverageCollector } from './coverage.ts';
import { EvalDir, paths, readResults, resultKey } from './eval-dir.ts';
import type { EvalPlan, PlannedVariant } from './plan.ts';
import { buildReport, type EvalReport } from './report.ts';
import { caseAssertions, fingerprintOf, judgeable, judgeCase, type CaseResult, type Outcome } from './results.ts';
import type { Assertion, EvalCase } from './types.ts';
import type { AssertionServices } from './scorer-call.ts';

export interface EvalProgress {
  /** Cases × variants with a result, of `total`. */
  done: number;
  total: number;
  counts: Record<Outcome, number>;
}

export interface RunEvalOptions {
  plan: EvalPlan;
  /** Cases run at once (default 4). */
  concurrency?: number;
  /** The call cache (opt-in, `FileCallCache`): a request answered before is not paid for again. */
  cache?: CallCache | null;
  /** Calls per Ollama host, shared by every run of the eval (`hostLimiter()`). */
  limiter?: HostLimiter | null;
  hosts?: HostSet | null;
  outage?: Partial<OutagePolicy>;
  /** Stops the eval: runs in flight stop at a checkpoint, nothing new starts; run it again to resume. */
  signal?: AbortSignal;
  cwd?: string;
  /** After every case that gets a result (run, or checked again under changed assertions). */
  onResult?: (result: CaseResult, progress: EvalProgress) => void;
}

export interface EvalRun {
  report: EvalReport;
  /** The eval's directory (`<evalsDir>/<evalId>`); its runs are in `runs/`. */
  dir: string;
  /** Stopped by the signal before every case had a result. */
  stopped: boolean;
  /** Cases run (or resumed) now, cases only checked again (changed assertions), cases skipped as already finished. */
  ran: number;
  rechecked: number;
  skipped: number;
}

interface Work {
  c: EvalCase;
  variant: PlannedVariant;
  assertions: Assertion[];
  previous: CaseResult | undefined;
}

const resumable: readonly RunStatus[] = ['running', 'stopped', 'parked'];

/** The case's run id in the eval's store: `<variant>_<case>` (variant names have no '_'). */
export const runIdOf = (variant: string, caseId: string) => `${variant}_${caseId}`;

/** The run if it exists; a directory left by a create cut short (no run.json) is removed, as the eval owns its store. */
async function existingRun(dir: EvalDir, runId: string): Promise<RunRecord | null> {
  if (!existsSync(join(paths(dir.dir).runs, runId))) return null; // a case not started: the common case, no read
  try {
    return await dir.store.read(runId);
  } catch (error) {
    if (hasCode(error, 'RUN_NOT_FOUND')) return null;
    const left = join(paths(dir.dir).runs, runId);
    if (hasCode(error, 'CORRUPT_RUN') && !existsSync(join(left, 'run.json'))) {
      await rm(left, { recursive: true, force: true });
      return null;
    }
    throw error;
  }
}

/**
 * Runs the plan's cases × variants and returns the report (also written to `report.json`). Results are appended to
 * `results.ndjson` as cases finish; what is already there is skipped, or checked again from its run when the
 * assertions changed (no model call).
 *
 * @example
 * const plan = planEval({ source: await loadEvalSource('machines/extract.eval.ts', cwd), cwd, evalsDir: 'evals' });
 * const { report } = await runEval({ plan, concurrency: 4, cache: new FileCallCache('evals/cache') });
 */
export async function runEval(options: RunEvalOptions): Promise<EvalRun> {
  const { plan, signal } = options;
  const concurrency = options.concurrency ?? 4;
  const dir = await EvalDir.open(plan.dir, plan.manifest, plan.variants.map((v) => ({ file: v.module, text: v.moduleText })));
  const results = readResults(plan.dir).results;
  const implicit = assert.expected();
  const work: Work[] = plan.cases.flatMap((c) => plan.variants.map((variant) => ({
    c,
    variant,
    assertions: caseAssertions(c, plan.assertions, implicit),
    previous: results.get(resultKey(variant.name, c.id)),
  })));
  const total = work.length;
  const counts: Record<Outcome, number> = { pass: 0, fail: 0, flagged: 0, error: 0 };
  for (const r of results.values()) counts[r.outcome] += 1;
  let ran = 0;
  let rechecked = 0;
  const skipped = work.filter((w) => w.previous && w.previous.fingerprint === fingerprintOf(w.assertions)).length;
  const todo = work.filter((w) => !(w.previous && w.previous.fingerprint === fingerprintOf(w.assertions)));
  const never = new AbortController().signal;
  // What a judge used as an assertion calls through: the runs' own hosts, limiter, cache and outage policy.
  const services: AssertionServices = {
    limiter: options.limiter ?? null,
    hosts: options.hosts ?? null,
    ...(options.cache ? { cache: options.cache } : {}),
    outage: { ...defaultOutagePolicy, ...options.outage },
  };

  const record = async (result: CaseResult, previous: CaseResult | undefined) => {
    await dir.append(result);
    results.set(resultKey(result.variant, result.caseId), result);
    if (previous) counts[previous.outcome] -= 1;
    counts[result.outcome] += 1;
    options.onResult?.(result, { done: results.size, total, counts: { ...counts } });
  };

  const hooks = (): DriveHooks => ({
    store: dir.store,
    limiter: options.limiter ?? null,
    hosts: options.hosts ?? null,
    ...(options.outage ? { outage: options.outage } : {}),
    ...(signal ? { signal } : {}),
  });

  /** Runs (or resumes) the case's run and judges it; null when the run was stopped before it ended. */
  const runCase = async (w: Work): Promise<CaseResult | null> => {
    const runId = runIdOf(w.variant.name, w.c.id);
    const collector = new CoverageCollector();
    const counting = options.cache ? countingCache(options.cache) : null;
    const drive: DriveHooks = { ...hooks(), inspect: collector.inspect, ...(counting ? { cache: counting } : {}) };
    let run = await existingRun(dir, runId);
    if (!run) run = await runWorkflow({ ...drive, workflow: w.variant.workflow, modulePath: w.variant.module, input: w.c.input, runId, cwd: options.cwd ?? process.cwd() });
    else if (resumable.includes(run.status)) run = await resumeWorkflow({ ...drive, runId, workflow: w.variant.workflow, cwd: options.cwd ?? process.cwd() });
    if (!judgeable(run.status)) return null;
    return judgeCase(w.c, w.variant.name, run, w.assertions, { cached: counting?.hits() ?? 0, coverage: collector.coverage(run), signal: signal ?? never, services });
  };

  /** A finished case under changed assertions: judged again from its run, keeping what the run cost and covered. */
  const recheck = async (w: Work, previous: CaseResult): Promise<CaseResult> => {
    const run = await dir.store.read(previous.runId);
    return judgeCase(w.c, w.variant.name, run, w.assertions, { cached: previous.usage.cached, coverage: previous.coverage, signal: signal ?? never, services });
  };

  let next = 0;
  let failure: unknown = null;
  const lane = async (): Promise<void> => {
    while (next < todo.length && failure === null && !signal?.aborted) {
      const w = todo[next++];
      if (!w) break;
      try {
        if (w.previous) {
          await record(await recheck(w, w.previous), w.previous);
          rechecked += 1;
        } else {
          const result = await runCase(w);
          if (result) {
            await record(result, undefined);
            ran += 1;
          }
        }
      } catch (error) {
        failure ??= error;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, todo.length)) }, lane));
  } finally {
    await dir.close();
  }
  if (failure !== null) throw failure;
  const report = buildReport(plan.manifest, results);
  await dir.writeReport(report);
  return { report, dir: plan.dir, stopped: !report.complete && signal?.aborted === true, ran, rechecked, skipped };
}
