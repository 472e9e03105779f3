// `npm run bench [-- --quick] [-- --json] [-- --only a,b]`: runs each benchmark in its own child process and prints one
// table, or (--json) one JSON object of named figures on stdout, progress on stderr.
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeTmp, type BenchOptions } from './env.ts';
import { figureRow, formatTable, type BenchResult, type Figure, type Row } from './report.ts';

/** In run order; each module exports `run(options): Promise<BenchResult>`. */
const benches: Record<string, () => Promise<{ run: (options: BenchOptions) => Promise<BenchResult> }>> = {
  'call-overhead': () => import('./call-overhead.ts'),
  ttft: () => import('./ttft.ts'),
  'step-overhead': () => import('./step-overhead.ts'),
  'run-overhead': () => import('./run-overhead.ts'),
  'history-growth': () => import('./history-growth.ts'),
  'step-growth': () => import('./step-growth.ts'),
  'checkpoint-scaling': () => import('./checkpoint-scaling.ts'),
  resume: () => import('./resume.ts'),
  memory: () => import('./memory.ts'),
  'fanout-efficiency': () => import('./fanout-efficiency.ts'),
  hosts: () => import('./hosts.ts'),
  'faulty-hosts': () => import('./faulty-hosts.ts'),
  'worker-throughput': () => import('./worker-throughput.ts'),
  'off-thread': () => import('./off-thread.ts'),
  'secrets-scrub': () => import('./secrets-scrub.ts'),
  takeover: () => import('./takeover.ts'),
  'eval-overhead': () => import('./eval-overhead.ts'),
  context: () => import('./context.ts'),
  versions: () => import('./versions.ts'),
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const flagValue = (flag: string): string | undefined => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};

/** Child mode: run one benchmark and send its result to the parent. */
async function child(name: string): Promise<void> {
  const load = benches[name];
  if (!load) throw new Error(`unknown benchmark ${name}`);
  const result = await (await load()).run({ quick });
  const send = process.send?.bind(process);
  if (send) await new Promise<void>((resolve, reject) => send(result, (error: Error | null) => (error ? reject(error) : resolve())));
  else process.stdout.write(`${formatTable(rowsOf(result))}\n${result.notes.join('\n')}\n`); // started by hand, not by main()
  // Benchmarks close what they open, but a stray unref'd timer must not keep the child alive.
  process.exit(0);
}

function rowsOf(result: BenchResult): Row[] {
  return [...Object.entries(result.figures).map(([name, f]) => figureRow(name, f)), ...(result.rows ?? [])];
}

/**
 * A fresh process per benchmark: one benchmark's garbage, RSS high-water mark or open files never weigh on the next,
 * and --expose-gc lets the memory benchmark take its readings after full collections.
 */
function runChild(name: string): Promise<BenchResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), ['--child', name, ...(quick ? ['--quick'] : [])], {
      // From the repository root, where `--import tsx` resolves.
      cwd: dirname(dirname(fileURLToPath(import.meta.url))),
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: BenchResult | undefined;
    proc.on('message', (message) => {
      result = message as BenchResult;
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (result) resolve(result);
      else reject(new Error(`benchmark ${name} exited with ${signal ?? `code ${code}`} before reporting`));
    });
  });
}

async function main(): Promise<void> {
  // With --json, stdout carries the one JSON object and nothing else.
  const say = (text: string) => (json ? process.stderr : process.stdout).write(text);
  const only = flagValue('--only')?.split(',');
  const names = Object.keys(benches).filter((name) => !only || only.includes(name));
  const unknown = (only ?? []).filter((name) => !(name in benches));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(benches).join(', ')})\n`);
    process.exitCode = 2;
    return;
  }

  const started = performance.now();
  const rows: Row[] = [];
  const notes: string[] = [];
  const figures: Record<string, Figure> = {};
  const failures: Record<string, string> = {};
  let failed = 0;
  const loadAverage = () => loadavg()[0]?.toFixed(1) ?? '?';
  const loadAtStart = loadAverage();
  say(`harness benchmarks (${quick ? 'quick' : 'full'}), Node ${process.version}, simulator on 127.0.0.1\n`);
  for (const name of names) {
    say(`- ${name}\n`);
    const t = performance.now();
    try {
      const result = await runChild(name);
      rows.push(...rowsOf(result));
      Object.assign(figures, result.figures);
      notes.push(...result.notes);
    } catch (error) {
      failed++;
      const reason = error instanceof Error ? error.message : String(error);
      failures[name] = reason;
      rows.push({ id: name, measure: `failed: ${reason}`, baseline: '-', candidate: '-', result: '-', target: '-', verdict: 'MISS' });
    }
    say(`  (${((performance.now() - t) / 1000).toFixed(1)} s, load average ${loadAverage()})\n`);
  }
  // Figures are only comparable on a quiet machine: say how busy this one was.
  const machine = `${availableParallelism()} cores, 1-min load average ${loadAtStart} at start, ${loadAverage()} at end; run files in ${describeTmp()}`;
  const total = (performance.now() - started) / 1000;
  if (json) {
    const meta = { mode: quick ? 'quick' : 'full', node: process.version, machine, totalSeconds: Math.round(total * 10) / 10, failures, notes };
    process.stdout.write(`${JSON.stringify({ ...figures, meta }, null, 2)}\n`);
  } else {
    say(`\n${formatTable(rows)}\n\n`);
    for (const note of notes) say(`${note}\n`);
    say(`machine: ${machine}\n`);
    const missed = rows.filter((row) => row.verdict === 'MISS').length;
    say(`\n${rows.length} rows, ${missed} MISS, total ${total.toFixed(1)} s\n`);
  }
  // A MISS is a finding, not a failure (bench is not a test); only a benchmark that crashed fails the command.
  process.exitCode = failed > 0 ? 1 : 0;
}

const childName = flagValue('--child');
(childName ? child(childName) : main()).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
