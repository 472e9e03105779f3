// `harness eval`: a workflow over a dataset, variants side by side, a report (table, JSON, JUnit), a CI gate.
import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { assertionFromJson } from '../../eval/assertions.ts';
import { compareWithBaseline, readBaseline, type BaselineComparison } from '../../eval/baseline.ts';
import { cacheSize, clearCache, FileCallCache } from '../../eval/cache.ts';
import { paths } from '../../eval/eval-dir.ts';
import { EvalInputError } from '../../eval/errors.ts';
import { junitXml } from '../../eval/junit.ts';
import { loadEvalSource, type EvalSource } from '../../eval/load.ts';
import { planEval, type EvalPlan, type VariantChoice } from '../../eval/plan.ts';
import { runEval, type EvalRun } from '../../eval/runner.ts';
import type { Assertion } from '../../eval/types.ts';
import { parseVariantFlag } from '../../eval/variants.ts';
import { HostSet } from '../../llm/hosts.ts';
import { HostPool } from '../../llm/pool.ts';
import { hostLimiter } from '../../runtime/index.ts';
import { startSimulator } from '../../testing/index.ts';
import type { Simulator } from '../../testing/simulator/types.ts';
import { type CliIO, type Command, ExitCode, integerFlag, parseFlags, UsageError } from '../command.ts';
import { effectiveEnv, msSetting } from '../config.ts';
import { cacheLine, comparisonLines, EvalProgressView, reportLines } from '../eval-output.ts';
import { shellWord } from '../format.ts';
import { assertModelHost } from '../host-arg.ts';
import { colorEnabled, isTerminal, paint } from '../io.ts';
import { parseJsonFlag } from '../json-arg.ts';
import { interruptedExitCode } from '../print-run.ts';
import { checkSnapshotsDir } from '../snapshots-dir.ts';
import { checkModels } from './pull.ts';

const help = `Usage: harness eval <eval-file | workflow-file> [--dataset <file>] [options]
       harness eval cache [--clear] [--cache-dir <dir>] [--json]

Runs a workflow over every case of a dataset, each case a real run (in the eval's own run store, so
show, history, fork and the inspector work on any case), a few at a time, for every variant; checks
each case's assertions and reports per variant: pass rate with a 95% Wilson interval, scores, retry /
escalation / flag rates per step, tokens and time (p50/p95), and statechart coverage (states and
transitions visited, and those never reached).

An eval file (*.eval.ts) default-exports defineEval({ workflow, dataset, assert, variants }); a workflow
file needs --dataset. A dataset is .jsonl (a case per line), .json (an array) or .csv (a row per case):
{"id": "inv-1", "input": {…}, "expected": {…}, "status": "done"|"flagged", "assert": [{"type":
"equals"|"contains"|"matches"|"near", "path": "invoice.total", …}]}. With no assertion at all, a case
passes when its output holds every field of its "expected".

The eval lives in <evals>/<id>/ (eval.json, variants/, runs/, results.ndjson, report.json). Stopped or
killed, it resumes with the same --id: finished cases are not run again; with changed assertions they
are checked again from their runs, with no model call.

Options:
  --dataset <file>        the cases (default: the eval file's dataset)
  --variant <v>           a variant to run (repeat it): a name (the eval file's variant of that name, or
                          the workflow as written), or 'name:step.key=value;…' with keys ladder (comma-
                          separated), model, maxRetries, threshold, temperature, maxTokens, system (@file)
  --assert <json>         an assertion (or a JSON array of them) for every case expected done (repeat it)
  --concurrency <n>       cases run at once (default: the eval file's, else 4)
  --id <eval-id>          names the eval (1-64 letters, digits, '_' or '-'); an eval of this id is resumed
  --evals <dir>           where evals live (default: $HARNESS_EVALS, else ./evals)
  --cache                 answer calls from the call cache and keep new replies in it (opt-in; also the
                          eval file's cache: true); a call asked again with the same model, messages,
                          format and options is not paid for
  --no-cache              make every call, whatever the eval file says
  --cache-dir <dir>       the call cache (default <evals>/cache), shared by every eval pointed at it
  --baseline <eval>       compare with an earlier eval (its id, its directory or a report.json): per
                          variant and per case; regressions are listed
  --max-drop <rate>       with --baseline: exit 1 when a variant's pass rate drops by more than this
                          (0 to 1, default 0: any drop fails)
  --min-pass-rate <rate>  exit 1 when a variant's pass rate is below this (0 to 1)
  --json                  print the report as JSON on stdout (progress goes to stderr)
  --junit <file>          write the report as JUnit XML (a test suite per variant) for CI
  --simulate              run against an Ollama simulator started here (the eval file's simulator:
                          scripted replies, latency), not a model: offline
  --cassette <file>       run against a simulator replaying a cassette (harness record)
  --park-after <ms>       ride out an unreachable host this long before a case's run parks (default
                          the workflow's; 0 with --cassette, where a missing reply never comes)
  --skip-model-check      start without asking the host(s) for every model the variants call
  --clear                 (eval cache) delete every reply the cache keeps

Exit codes: 0 the eval ran (whatever its pass rates) and its gates held, 1 a gate failed (--baseline,
--min-pass-rate), 2 bad usage or input (nothing is written), 130 stopped by Ctrl-C (resumable).`;

const flags = {
  dataset: { type: 'string' },
  variant: { type: 'string', multiple: true },
  assert: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  id: { type: 'string' },
  evals: { type: 'string' },
  cache: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
  'cache-dir': { type: 'string' },
  baseline: { type: 'string' },
  'max-drop': { type: 'string' },
  'min-pass-rate': { type: 'string' },
  json: { type: 'boolean', default: false },
  junit: { type: 'string' },
  simulate: { type: 'boolean', default: false },
  cassette: { type: 'string' },
  'park-after': { type: 'string' },
  'skip-model-check': { type: 'boolean', default: false },
  clear: { type: 'boolean', default: false },
} as const;

type Values = ReturnType<typeof parseFlags<typeof flags>>['values'];

/** A path as a person types it here: relative to the cwd when inside it, else absolute. */
function shownPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** A rate flag: a number from 0 to 1. */
function rateFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${name} must be a rate from 0 to 1 (0.05 is five points), got "${value}"`);
  return n;
}

function evalsDirOf(values: Values, io: CliIO): string {
  if (values.evals !== undefined && values.evals.trim() === '') throw new UsageError('--evals must not be empty');
  const dir = resolve(io.cwd, values.evals ?? (effectiveEnv(io).HARNESS_EVALS?.trim() || 'evals'));
  checkSnapshotsDir(dir, 'write', values.evals !== undefined ? '--evals' : 'evals directory');
  return dir;
}

/** `--assert '{…}'` or `--assert '[{…}, …]'`, each checked now. */
function extraAssertions(texts: readonly string[] | undefined): Assertion[] {
  return (texts ?? []).flatMap((text, i) => {
    const json = parseJsonFlag('assert', text);
    const list = Array.isArray(json) ? json : [json];
    return list.map((item, j) => assertionFromJson(item, `--assert ${i + 1}${Array.isArray(json) ? `[${j}]` : ''}`));
  });
}

async function cacheCommand(values: Values, positionals: readonly string[], io: CliIO): Promise<number> {
  if (positionals.length > 1) throw new UsageError(`eval cache takes no other argument, got "${positionals.slice(1).join(' ')}"`);
  const allowed = new Set(['clear', 'cache-dir', 'evals', 'json']);
  const given = Object.entries(values).filter(([name, value]) => value !== undefined && value !== false && !allowed.has(name)).map(([name]) => `--${name}`);
  if (given.length > 0) throw new UsageError(`eval cache takes only --clear, --cache-dir, --evals and --json, not ${given.join(', ')}`);
  const dir = values['cache-dir'] !== undefined ? resolve(io.cwd, values['cache-dir']) : join(evalsDirOf(values, io), 'cache');
  const size = values.clear ? await clearCache(dir) : cacheSize(dir);
  if (values.json) io.stdout.write(`${JSON.stringify({ ...size, cleared: values.clear })}\n`);
  else io.stdout.write(`${values.clear ? 'cleared ' : ''}call cache ${shownPath(io.cwd, dir)}: ${size.entries} repl${size.entries === 1 ? 'y' : 'ies'}, ${(size.bytes / 1024).toFixed(1)} KiB\n`);
  return ExitCode.ok;
}

/** What the command will run, checked from end to end before anything is written or any model is called. */
interface Prepared {
  source: EvalSource;
  plan: EvalPlan;
  concurrency: number;
  cacheDir: string | null;
  baseline: ReturnType<typeof readBaseline> | null;
  maxDrop: number;
  minPassRate: number | undefined;
  junit: string | null;
  cassette: string | null;
  parkAfterMs: number | undefined;
}

async function prepare(values: Values, file: string, io: CliIO): Promise<Prepared> {
  const concurrencyFlag = integerFlag('concurrency', values.concurrency, 1);
  const maxDrop = rateFlag('max-drop', values['max-drop']) ?? 0;
  const minPassRate = rateFlag('min-pass-rate', values['min-pass-rate']);
  if (values['max-drop'] !== undefined && values.baseline === undefined) throw new UsageError('--max-drop is the gate of --baseline: give both');
  if (values.cache && values['no-cache']) throw new UsageError('give --cache or --no-cache, not both');
  if (values.simulate && values.cassette !== undefined) throw new UsageError('give --simulate or --cassette, not both');
  if (values.clear) throw new UsageError('--clear belongs to `harness eval cache`');
  const cassette = values.cassette !== undefined ? resolve(io.cwd, values.cassette) : null;
  if (cassette !== null && !(existsSync(cassette) && statSync(cassette).isFile())) throw new UsageError(`--cassette file not found: ${values.cassette}`);
  const junit = values.junit !== undefined ? resolve(io.cwd, values.junit) : null;
  if (junit !== null && !(existsSync(dirname(junit)) && statSync(dirname(junit)).isDirectory())) throw new UsageError(`--junit ${values.junit}: directory ${dirname(junit)} does not exist`);
  const parkAfterMs = integerFlag('park-after', msSetting(values['park-after'], 'parkAfterMs', io), 0) ?? (cassette !== null ? 0 : undefined);
  const evalsDir = evalsDirOf(values, io);
  if (values.id !== undefined && values.id.trim() === '') throw new UsageError('--id must not be empty');
  const variants: VariantChoice[] = (values.variant ?? []).map((text) => parseVariantFlag(text, io.cwd));
  const assertions = extraAssertions(values.assert);
  if (!values.simulate && cassette === null) assertModelHost(effectiveEnv(io));
  const baseline = values.baseline !== undefined ? readBaseline(values.baseline, evalsDir, io.cwd) : null;

  const source = await loadEvalSource(file, io.cwd);
  const plan = planEval({
    source,
    cwd: io.cwd,
    evalsDir,
    ...(values.dataset !== undefined ? { dataset: values.dataset } : {}),
    ...(variants.length > 0 ? { variants } : {}),
    ...(assertions.length > 0 ? { assert: assertions } : {}),
    ...(values.id !== undefined ? { evalId: values.id.trim() } : {}),
  });
  const wantsCache = values['no-cache'] ? false : (values.cache ?? (source.kind === 'eval' && source.definition.cache === true));
  const cacheDir = wantsCache ? (values['cache-dir'] !== undefined ? resolve(io.cwd, values['cache-dir']) : join(evalsDir, 'cache')) : null;
  if (values['cache-dir'] !== undefined && !wantsCache) throw new UsageError('--cache-dir without the cache: add --cache');
  if (cacheDir !== null) checkSnapshotsDir(cacheDir, 'write', '--cache-dir');
  const concurrency = concurrencyFlag ?? (source.kind === 'eval' ? source.definition.concurrency : undefined) ?? 4;
  return { source, plan, concurrency, cacheDir, baseline, maxDrop, minPassRate, junit, cassette, parkAfterMs };
}

/** Points this process's model calls at a simulator for the eval, then back where they were. */
async function withSimulator<T>(prepared: Prepared, simulate: boolean, run: () => Promise<T>): Promise<T> {
  if (!simulate && prepared.cassette === null) return run();
  const { source } = prepared;
  const options = prepared.cassette !== null ? { cassette: prepared.cassette } : { ...(source.kind === 'eval' ? source.definition.simulator : {}), numParallel: prepared.concurrency };
  let sim: Simulator;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    throw new EvalInputError(`cannot start the simulator: ${error instanceof Error ? error.message : String(error)}`);
  }
  const saved = { host: process.env.OLLAMA_HOST, hosts: process.env.OLLAMA_HOSTS };
  process.env.OLLAMA_HOST = sim.url;
  delete process.env.OLLAMA_HOSTS;
  try {
    return await run();
  } finally {
    if (saved.host === undefined) delete process.env.OLLAMA_HOST;
    else process.env.OLLAMA_HOST = saved.host;
    if (saved.hosts !== undefined) process.env.OLLAMA_HOSTS = saved.hosts;
    await sim.close();
  }
}

async function evaluate(values: Values, file: string, io: CliIO): Promise<number> {
  const prepared = await prepare(values, file, io);
  const { plan } = prepared;
  const env = effectiveEnv(io);
  const simulated = values.simulate || prepared.cassette !== null;
  if (!simulated && values['skip-model-check'] !== true) {
    for (const variant of plan.variants) await checkModels(variant.workflow, io, { pull: false });
  }
  const out = values.json ? io.stderr : io.stdout;
  const view = new EvalProgressView(out, isTerminal(out));
  const runsDir = shownPath(io.cwd, paths(plan.dir).runs);
  view.note(`eval ${plan.evalId}: ${plan.cases.length} case(s) × ${plan.variants.length} variant(s), ${prepared.concurrency} at a time${plan.resuming ? ' (resumed: finished cases are kept)' : ''}${simulated ? ' against a simulator' : ''}`);

  const resumeLine = `resume it: harness eval ${shellWord(shownPath(io.cwd, prepared.source.file))} --id ${plan.evalId}${values.evals !== undefined ? ` --evals ${shellWord(values.evals)}` : ''} …`;
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // Finished cases are kept; runs in flight are left at their last checkpoint and taken up again by the resume.
      io.stderr.write(`quit at once: eval ${plan.evalId} keeps its finished cases; ${resumeLine}\n`);
      process.exit(interruptedExitCode);
    }
    view.note(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping the eval; runs in flight stop at a checkpoint (press Ctrl-C again to quit now)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cache = prepared.cacheDir !== null ? new FileCallCache(prepared.cacheDir) : null;
  let result: EvalRun;
  try {
    result = await withSimulator(prepared, values.simulate, () => runEval({
      plan,
      concurrency: prepared.concurrency,
      cache,
      // A simulator of ours serves the eval's concurrency; a real host, what HARNESS_HOST_CONCURRENCY allows it.
      limiter: simulated ? new HostPool(prepared.concurrency) : hostLimiter(env),
      ...(!simulated && env.OLLAMA_HOSTS?.trim() ? { hosts: HostSet.fromEnv(env) } : {}),
      ...(prepared.parkAfterMs !== undefined ? { outage: { parkAfterMs: prepared.parkAfterMs } } : {}),
      signal: controller.signal,
      cwd: io.cwd,
      onResult: (r, progress) => view.update(r, progress),
    }));
  } finally {
    view.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const { report } = result;
  const comparison: BaselineComparison | null = prepared.baseline ? compareWithBaseline(report, prepared.baseline.report, prepared.baseline.file, prepared.maxDrop) : null;
  const { minPassRate } = prepared;
  const belowMinimum = minPassRate === undefined ? [] : report.variants.filter((v) => v.passRate < minPassRate - 1e-9);
  if (prepared.junit !== null) await writeFile(prepared.junit, junitXml(report));
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ report, baseline: comparison, cache: cache?.stats() ?? null, dir: result.dir, stopped: result.stopped }, null, 2)}\n`);
  } else {
    const p = paint(colorEnabled(io.stdout, io.env));
    const lines = ['', ...reportLines(report, p, runsDir)];
    if (comparison) lines.push(...comparisonLines(comparison, p));
    for (const v of belowMinimum) lines.push(p.red(`variant ${v.name}: pass rate ${(v.passRate * 100).toFixed(1)}% is below --min-pass-rate ${minPassRate}`));
    if (cache) lines.push('', cacheLine(cache.stats(), shownPath(io.cwd, cache.dir)));
    if (result.rechecked > 0) lines.push(`${result.rechecked} finished case(s) checked again under changed assertions (no model call)`);
    lines.push(`report ${shownPath(io.cwd, paths(plan.dir).report)}${prepared.junit !== null ? `, JUnit ${shownPath(io.cwd, prepared.junit)}` : ''}; the runs: harness ls --snapshots ${shellWord(runsDir)}`);
    io.stdout.write(`${lines.join('\n')}\n`);
  }
  if (result.stopped) {
    io.stderr.write(`eval ${plan.evalId} stopped; ${resumeLine}\n`);
    return interruptedExitCode;
  }
  return comparison?.failed || belowMinimum.length > 0 ? ExitCode.failed : ExitCode.ok;
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'run a workflow over a dataset, variants side by side: pass rates, coverage, a CI gate',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, flags);
    if (positionals[0] === 'cache') return cacheCommand(values, positionals, io);
    const [file, ...more] = positionals;
    if (file === undefined || more.length > 0) throw new UsageError('eval needs exactly one eval or workflow file: harness eval <file> [--dataset <file>]');
    return evaluate(values, file, io);
  },
};
