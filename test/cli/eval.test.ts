// `harness eval` from the command line: every bad input is one line and exit 2 with nothing written; the report as a
// table, JSON and JUnit; the baseline gate naming regressions; the cache command; the shipped invoice eval offline.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEvalSource, planEval, runEval, type EvalReport } from '../../src/eval/index.ts';
import { startRecorder, startSimulator } from '../../src/testing/index.ts';
import { script } from '../eval/fixtures/sum-script.ts';
import { inProcess, repoRoot, type Env } from './harness.ts';

const evals = mkdtempSync(join(tmpdir(), 'harness-cli-evals-'));
const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: join(evals, 'snapshots') };
afterAll(() => rmSync(evals, { recursive: true, force: true }));

const sumEval = 'test/eval/fixtures/sum.eval.ts';
const evalCli = (args: string[]) => inProcess(['eval', ...args, '--evals', evals], env);

describe('bad input: one line, exit 2, nothing written', () => {
  const bad = join(evals, 'bad.jsonl');
  writeFileSync(bad, '{"input":{"a":1,"b":2}}\n{"input": {"a": 1,\n');
  const refusals: [string, string[], RegExp][] = [
    ['a workflow without a dataset', ['test/eval/fixtures/sum.workflow.ts'], /^harness: no dataset: give --dataset <file>/],
    ['a dataset that is not there', [sumEval, '--dataset', 'nope.jsonl'], /^harness: dataset not found: .*nope\.jsonl$/],
    ['a malformed line, with its number', [sumEval, '--dataset', bad], /^harness: bad\.jsonl:2: not valid JSON/],
    ['an unknown variant', [sumEval, '--variant', 'small'], /^harness: unknown variant "small" \(the eval file declares: ladder, big-only\)$/],
    ['a variant of a step the workflow lacks', [sumEval, '--variant', 'x:sub.model=m'], /^harness: variant x: workflow sum has no model step "sub" \(its model steps: add\)$/],
    ['a malformed variant', [sumEval, '--variant', 'x:add.speed=2'], /^harness: --variant x: add\.speed: unknown key/],
    ['an eval file that is not there', ['nope.eval.ts'], /^harness: eval or workflow file not found: nope\.eval\.ts$/],
    ['a module that is neither', ['test/eval/fixtures/sum-script.ts'], /must default-export an eval \(defineEval\) or a workflow \(defineWorkflow\)$/],
    ['two files', [sumEval, sumEval], /^harness: eval needs exactly one eval or workflow file/],
    ['concurrency 0', [sumEval, '--concurrency', '0'], /^harness: --concurrency must be a whole number of at least 1, got "0"$/],
    ['a drop above 1', [sumEval, '--baseline', 'x', '--max-drop', '2'], /^harness: --max-drop must be a rate from 0 to 1/],
    ['a drop without a baseline', [sumEval, '--max-drop', '0.1'], /^harness: --max-drop is the gate of --baseline: give both$/],
    ['a pass rate that is no number', [sumEval, '--min-pass-rate', 'most'], /^harness: --min-pass-rate must be a rate from 0 to 1/],
    ['cache and no cache', [sumEval, '--cache', '--no-cache'], /^harness: give --cache or --no-cache, not both$/],
    ['a JUnit file in no directory', [sumEval, '--junit', '/nope/x.xml'], /^harness: --junit \/nope\/x\.xml: directory \/nope does not exist$/],
    ['a bad eval id', [sumEval, '--id', 'a b'], /^harness: eval id "a b" must be 1-64 letters/],
    ['an assertion that is not JSON', [sumEval, '--assert', '{bad'], /^harness: --assert is not valid JSON/],
    ['an unknown assertion', [sumEval, '--assert', '{"type":"same"}'], /^harness: --assert 1: unknown assertion type "same"/],
    ['a baseline that is not there', [sumEval, '--baseline', 'yesterday'], /^harness: --baseline yesterday: no such eval, directory or report/],
    ['a cassette that is not there', [sumEval, '--cassette', 'nope.ndjson'], /^harness: --cassette file not found: nope\.ndjson$/],
    ['an unknown flag', [sumEval, '--speed', '3'], /^harness: Unknown option '--speed'/],
    ['--clear without cache', [sumEval, '--clear'], /^harness: --clear belongs to `harness eval cache`$/],
    ['cache with eval flags', ['cache', '--baseline', 'x'], /^harness: eval cache takes only --clear, --cache-dir, --evals and --json, not --baseline$/],
  ];
  it.each(refusals)('%s', async (_what, args, message) => {
    const result = await evalCli(args);
    expect(result.code).toBe(2);
    const [first = ''] = result.stderr.split('\n');
    expect(first).toMatch(message);
    expect(result.stderr.trim().split('\n').filter((line) => !line.startsWith("(see 'harness eval --help')"))).toHaveLength(1);
    expect(result.stdout).toBe('');
    expect(readdirSync(evals).filter((name) => name !== 'bad.jsonl')).toEqual([]);
  });
});

describe('an eval against the simulator', { timeout: 60_000 }, () => {
  const junit = join(evals, 'sum.xml');
  let report: EvalReport;

  it('prints the table, writes report.json and JUnit, and exits 0', async () => {
    const result = await evalCli([sumEval, '--simulate', '--id', 'base', '--junit', junit, '--cache']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ladder +4 +1 +1 +0 +66\.7% +\[30\.0%, 90\.3%\]/m);
    expect(result.stdout).toMatch(/^big-only +5 +0 +1 +0 +83\.3%/m);
    expect(result.stdout).toMatch(/^ {2}ladder +add +2\.33 attempts\/case +retry 50\.0% +escalation 50\.0% +flagged 33\.3%$/m);
    expect(result.stdout).toMatch(/sum \(workflow\) +transitions 3\/4 +states 4\/5 — never: large$/m);
    expect(result.stdout).toMatch(/ladder +five +fail +equals sum: 12 ≠ 11/);
    report = JSON.parse(readFileSync(join(evals, 'base', 'report.json'), 'utf8')) as EvalReport;
    expect(report.variants.map((v) => v.passRate)).toEqual([0.6667, 0.8333]);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<testsuite name="sum · ladder" tests="6" failures="2" errors="0"');
    expect(xml).toMatch(/<testcase name="five" classname="sum\.ladder" time="[\d.]+">\n\s+<failure type="fail" message="equals sum: 12 ≠ 11">/);
    expect(xml).toMatch(/<testcase name="thirteen" classname="sum\.big-only"[^>]*>\n\s+<failure type="flagged"/);
  });

  it('--json prints the report and what the cache did', async () => {
    const result = await evalCli([sumEval, '--simulate', '--id', 'again', '--json', '--cache']);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { report: EvalReport; cache: { hits: number; misses: number } };
    expect(printed.report.variants.map((v) => v.pass)).toEqual([4, 5]);
    expect(printed.cache).toMatchObject({ hits: 22, misses: 0 });
    expect(result.stderr).toContain('[12/12]');
  });

  it('a baseline that regresses: exit 1, the regressions named, case by case', async () => {
    const result = await evalCli([sumEval, '--simulate', '--id', 'worse', '--variant', 'ladder:add.model=qwen2.5-coder:7b', '--variant', 'big-only', '--baseline', 'base', '--max-drop', '0.1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`against baseline ${join(evals, 'base', 'report.json')}`);
    expect(result.stdout).toMatch(/^ {2}ladder +66\.7% → 50\.0% +-16\.7 pts +FAILS THE GATE$/m);
    expect(result.stdout).toMatch(/^ {2}big-only +83\.3% → 83\.3% +\+0\.0 pts +ok$/m);
    expect(result.stdout).toContain('regressions (1): passed before, not now');
    expect(result.stdout).toMatch(/^ {2}ladder +odd +pass → flagged +flagged: add: ladder exhausted after 2 attempt/m);
  });

  it('a baseline that holds: exit 0; --min-pass-rate gates on its own', async () => {
    expect((await evalCli([sumEval, '--simulate', '--id', 'same', '--baseline', join(evals, 'base')])).code).toBe(0);
    const below = await evalCli([sumEval, '--simulate', '--id', 'min', '--min-pass-rate', '0.8']);
    expect(below.code).toBe(1);
    expect(below.stdout).toContain('variant ladder: pass rate 66.7% is below --min-pass-rate 0.8');
  });

  it('eval cache: its size, then cleared', async () => {
    const size = await evalCli(['cache', '--json']);
    expect(JSON.parse(size.stdout)).toMatchObject({ entries: 17, cleared: false });
    const cleared = await evalCli(['cache', '--clear']);
    expect(cleared.stdout).toMatch(/^cleared call cache .*cache: 17 replies, [\d.]+ KiB$/m);
    expect(existsSync(join(evals, 'cache'))).toBe(false);
  });
});

it('runs offline from a cassette recorded from a model host, with the same outcomes', { timeout: 60_000 }, async () => {
  const sim = await startSimulator({ script });
  const cassette = join(evals, 'sum.ndjson');
  const recorder = await startRecorder({ upstream: sim.url, to: cassette });
  const saved = process.env.OLLAMA_HOST;
  process.env.OLLAMA_HOST = recorder.url;
  try {
    const plan = planEval({ source: await loadEvalSource(sumEval, repoRoot), cwd: repoRoot, evalsDir: join(evals, 'recorded'), evalId: 'rec' });
    await runEval({ plan, concurrency: 2, cwd: repoRoot });
  } finally {
    if (saved === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = saved;
    await recorder.close();
    await sim.close();
  }
  const replayed = await evalCli([sumEval, '--cassette', cassette, '--id', 'replay', '--json']);
  expect(replayed.code).toBe(0);
  const { report } = JSON.parse(replayed.stdout) as { report: EvalReport };
  expect(report.variants.map((v) => [v.pass, v.fail, v.flagged, v.error])).toEqual([[4, 1, 1, 0], [5, 0, 1, 0]]);
});

it('the shipped invoice eval runs offline: the ladder against the big model alone', { timeout: 120_000 }, async () => {
  const result = await evalCli(['machines/evals/extract.eval.ts', '--simulate', '--id', 'invoices', '--concurrency', '8', '--json']);
  expect(result.code).toBe(0);
  const { report } = JSON.parse(result.stdout) as { report: EvalReport };
  expect(report.dataset.cases).toBe(56);
  expect(report.variants.map((v) => [v.name, v.pass, v.fail, v.flagged, v.error])).toEqual([['ladder', 46, 10, 0, 0], ['big-only', 52, 4, 0, 0]]);
  expect(report.variants.map((v) => v.steps.extract?.escalationRate)).toEqual([0.3393, 0]);
});
