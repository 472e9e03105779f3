// SIGKILL in the middle of an eval: run again with the same id, it resumes; cases finished before the kill are not run
// again (no request for them, their runs untouched), the rest end as an uninterrupted eval's do.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CaseResult, EvalReport } from '../../src/eval/index.ts';
import { startSimulator, type SimRequest, type Simulator } from '../../src/testing/index.ts';
import { harness, start, until, type Env } from '../cli/harness.ts';
import { big, small } from './fixtures/sum-script.ts';

let sim: Simulator;
let env: Env;
const evals = mkdtempSync(join(tmpdir(), 'harness-eval-kill-'));
/** The operands of every request, by phase: before the kill, and after. */
const asked: { phase: number; operands: string }[] = [];
let phase = 1;
const record = (req: SimRequest) => asked.push({ phase, operands: /Add (\S+) and (\S+)\./.exec(req.messages[0]?.content ?? '')?.slice(1).join('+') ?? '?' });

beforeAll(async () => {
  // Slow enough that the kill lands with runs in flight.
  sim = await startSimulator({ latency: { ttftMs: 120 }, numParallel: 2, script: { 'qwen2.5-coder:7b': (req) => (record(req), small(req)), 'qwen2.5-coder:32b': (req) => (record(req), big(req)) } });
  env = { ollamaHost: sim.url, snapshots: join(evals, 'snapshots') };
});
afterAll(async () => {
  await sim.close();
  rmSync(evals, { recursive: true, force: true });
});

const resultsFile = join(evals, 'k', 'results.ndjson');
const lines = (): CaseResult[] => (existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').split('\n').filter((l) => l.endsWith('}')).flatMap((l) => {
  try {
    return [JSON.parse(l) as CaseResult];
  } catch {
    return []; // the line the kill cut short
  }
}) : []);
const args = ['eval', 'test/eval/fixtures/sum.eval.ts', '--id', 'k', '--evals', evals, '--concurrency', '2', '--skip-model-check'];

it('resumes after a SIGKILL without running finished cases again', { timeout: 90_000 }, async () => {
  const first = start(args, env);
  await until(() => (lines().length >= 4 ? true : undefined), 60_000);
  first.child.kill('SIGKILL');
  const killed = await first.done;
  expect(killed.signal).toBe('SIGKILL');
  const before = lines();
  expect(before.length).toBeGreaterThanOrEqual(4);
  expect(before.length).toBeLessThan(12);
  const runFiles = (r: CaseResult) => ['journal.ndjson', 'history.ndjson', 'checkpoint.json'].map((f) => statSync(join(evals, 'k', 'runs', r.runId, f)).mtimeMs);
  const untouched = new Map(before.map((r) => [r.runId, runFiles(r)]));

  phase = 2;
  const resumed = await harness(args, env);
  expect(resumed.code).toBe(0);
  expect(resumed.stdout).toContain('(resumed: finished cases are kept)');
  const after = lines();
  expect(after).toHaveLength(12); // one line per case and variant: nothing finished was recorded twice
  expect(after.slice(0, before.length)).toEqual(before);
  for (const r of before) expect(runFiles(r)).toEqual(untouched.get(r.runId));

  // A case both variants had finished was not asked about again.
  const operands = (caseId: string) => ({ even: '2+3', odd: '3+4', five: '10+1', thirteen: '1+13', refused: '7+13', four: '4+4' })[caseId];
  const doneBoth = [...new Set(before.map((r) => r.caseId))].filter((id) => before.filter((r) => r.caseId === id).length === 2);
  for (const id of doneBoth) expect(asked.filter((a) => a.phase === 2 && a.operands === operands(id))).toEqual([]);
  expect(asked.some((a) => a.phase === 2)).toBe(true);

  const report = JSON.parse(readFileSync(join(evals, 'k', 'report.json'), 'utf8')) as EvalReport;
  expect(report.complete).toBe(true);
  expect(report.variants.map((v) => [v.pass, v.fail, v.flagged])).toEqual([[4, 1, 1], [5, 0, 1]]);
});
