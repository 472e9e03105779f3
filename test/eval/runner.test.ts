// An eval end to end over the scripted sum workflow: exact outcomes, step rates per variant, statechart coverage,
// the call cache (a re-run with a changed assertion makes no call), re-checking a finished eval, real runs per case.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assert, FileCallCache, loadEvalSource, planEval, runEval, type EvalSource, type PlanOptions } from '../../src/eval/index.ts';
import { forkRun, resumeWorkflow } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { repoRoot } from '../cli/harness.ts';
import { script } from './fixtures/sum-script.ts';

let sim: Simulator;
let source: EvalSource;
const evalsDir = mkdtempSync(join(tmpdir(), 'harness-evals-'));
const savedHost = process.env.OLLAMA_HOST;

beforeAll(async () => {
  sim = await startSimulator({ script });
  process.env.OLLAMA_HOST = sim.url;
  source = await loadEvalSource('test/eval/fixtures/sum.eval.ts', repoRoot);
});
afterAll(async () => {
  await sim.close();
  if (savedHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = savedHost;
  rmSync(evalsDir, { recursive: true, force: true });
});

const plan = (over: Partial<PlanOptions> = {}) => planEval({ source, cwd: repoRoot, evalsDir, ...over });

describe('an eval of the sum workflow, ladder against the big model alone', { timeout: 60_000 }, () => {
  let first: Awaited<ReturnType<typeof runEval>>;
  const cache = new FileCallCache(join(evalsDir, 'cache'));

  beforeAll(async () => {
    sim.reset();
    first = await runEval({ plan: plan({ evalId: 'first' }), concurrency: 2, cache, cwd: repoRoot });
  });

  it('gives the exact pass, fail and flagged counts, with Wilson intervals', () => {
    const [ladder, bigOnly] = first.report.variants;
    expect(ladder).toMatchObject({ name: 'ladder', cases: 6, pass: 4, fail: 1, flagged: 1, error: 0, passRate: 0.6667 });
    expect(bigOnly).toMatchObject({ name: 'big-only', cases: 6, pass: 5, fail: 0, flagged: 1, error: 0, passRate: 0.8333 });
    expect(ladder?.interval).toEqual({ method: 'wilson', level: 0.95, low: 0.3, high: 0.9032 });
    const cells = Object.fromEntries(first.report.cases.map((c) => [c.id, Object.fromEntries(Object.entries(c.variants).map(([v, cell]) => [v, cell.outcome]))]));
    expect(cells).toEqual({
      even: { ladder: 'pass', 'big-only': 'pass' },
      odd: { ladder: 'pass', 'big-only': 'pass' },
      five: { ladder: 'fail', 'big-only': 'pass' },
      thirteen: { ladder: 'flagged', 'big-only': 'flagged' },
      refused: { ladder: 'pass', 'big-only': 'pass' },
      four: { ladder: 'pass', 'big-only': 'pass' },
    });
    expect(first.report.cases.find((c) => c.id === 'five')?.variants.ladder?.reason).toBe('equals sum: 12 ≠ 11');
  });

  it('reports different escalation and retry rates for the two ladders', () => {
    const [ladder, bigOnly] = first.report.variants;
    expect(ladder?.steps.add).toEqual({ cases: 6, attemptsPerCase: 2.3333, retryRate: 0.5, escalationRate: 0.5, flagRate: 0.3333 });
    expect(bigOnly?.steps.add).toEqual({ cases: 6, attemptsPerCase: 1.3333, retryRate: 0.3333, escalationRate: 0, flagRate: 0.3333 });
  });

  it('lists the states and transitions the dataset never reached', () => {
    const [ladder, bigOnly] = first.report.variants;
    const root = ladder?.coverage.find((m) => m.machine === '');
    expect(root?.states).toEqual({ total: 5, visited: 4, unreached: ['large'] });
    expect(root?.transitions.unreached).toEqual(['checking —always [isLarge]→ large']);
    const step = ladder?.coverage.find((m) => m.machine === 'add');
    expect(step?.states.unreached).toEqual(['backingOff', 'parked']);
    // `deciding` only ever lasts a microstep: it is visited all the same, and which guarded branch left it is known.
    expect(step?.states.visited).toBe(4);
    expect(step?.transitions.unreached).not.toContain('deciding —always [canEscalate]→ attempting');
    expect(bigOnly?.coverage.find((m) => m.machine === 'add')?.transitions.unreached).toContain('deciding —always [canEscalate]→ attempting');
  });

  it('makes every case a real run of its variant in the eval\'s store: readable, resumable and forkable like any run', async () => {
    const store = new FileStore({ dir: join(first.dir, 'runs') });
    const run = await store.read('big-only_odd');
    expect(run.workflow.module).toBe(join(first.dir, 'variants', 'big-only.mts'));
    expect(run.journal.map((e) => e.result.model)).toEqual(['qwen2.5-coder:32b']);
    expect((await store.history('ladder_odd')).length).toBeGreaterThan(1);
    // A fork loads the variant from the module the run recorded: the big-only ladder, not the workflow's own.
    const forked = await forkRun({ store, runId: 'big-only_odd', at: 1, newRunId: 'forked-odd', cwd: repoRoot });
    expect(forked.status).toBe('done');
    expect(forked.journal.map((e) => e.result.model)).toEqual(['qwen2.5-coder:32b']);
    await expect(resumeWorkflow({ store, runId: 'ladder_odd', cwd: repoRoot })).rejects.toThrow(/already done/);
  });

  it('re-runs with a changed assertion from the cache: no model call, the new assertion checked', async () => {
    sim.reset();
    const again = await runEval({ plan: plan({ evalId: 'second', assert: [assert.equals('flags', [])] }), concurrency: 2, cache, cwd: repoRoot });
    expect(sim.stats().completed).toBe(0);
    expect(again.report.variants.map((v) => [v.name, v.pass, v.fail, v.flagged, v.calls])).toEqual([
      ['ladder', 4, 1, 1, { total: 14, cached: 14 }],
      ['big-only', 5, 0, 1, { total: 8, cached: 8 }],
    ]);
    expect(again.report.cases[0]?.variants.ladder?.assertions.map((a) => a.name)).toEqual(['equals sum', 'equals flags']);
  });

  it('an eval resumed under changed assertions checks its finished cases again from their runs: no call, no run', async () => {
    sim.reset();
    const results = () => readFileSync(join(first.dir, 'results.ndjson'), 'utf8').trim().split('\n').length;
    expect(results()).toBe(12);
    const rechecked = await runEval({ plan: plan({ evalId: 'first', assert: [assert.near('sum', { value: 5, tolerance: 0 })] }), concurrency: 2, cwd: repoRoot });
    expect(sim.stats().requests).toBe(0);
    expect([rechecked.ran, rechecked.rechecked, rechecked.skipped]).toEqual([0, 10, 2]); // the two `refused` cases expect a flag: no eval assertion
    expect(rechecked.report.variants.map((v) => v.pass)).toEqual([2, 2]); // `even` (sum 5) and `refused`
    expect(results()).toBe(22);
    const unchanged = await runEval({ plan: plan({ evalId: 'first', assert: [assert.near('sum', { value: 5, tolerance: 0 })] }), cwd: repoRoot });
    expect([unchanged.ran, unchanged.rechecked, unchanged.skipped]).toEqual([0, 0, 12]);
  });
});

describe('refusals before anything is written', () => {
  it('a changed dataset, variant or workflow cannot resume an eval', () => {
    expect(() => plan({ evalId: 'first', variants: [{ name: 'ladder', spec: null }] })).toThrow('eval first cannot be resumed: it has variants ladder, big-only, not ladder; start a new eval (another --id)');
    expect(() => plan({ evalId: 'first', dataset: 'test/eval/fixtures/sums-other.jsonl' })).toThrow(/dataset not found/);
  });

  it('an unknown variant, an unknown step and a case input the workflow refuses', () => {
    expect(() => plan({ variants: [{ name: 'small', spec: null }] })).toThrow('unknown variant "small" (the eval file declares: ladder, big-only)');
    expect(() => plan({ variants: [{ name: 'x', spec: { steps: { sum: { model: 'm' } } } }] })).toThrow('variant x: workflow sum has no model step "sum" (its model steps: add)');
    const inputs = join(evalsDir, 'bad-input.jsonl');
    writeFileSync(inputs, '{"input":{"a":1,"b":2}}\n{"input":{"a":"one","b":2}}\n');
    expect(() => plan({ dataset: inputs })).toThrow(/^bad-input\.jsonl:2: input for workflow sum is invalid: a: /);
  });
});
