// faultyHostThroughput: runs/s of a three-step chain over two simulated hosts that fail 8 % of chat requests (500,
// 503, connection reset: host failures) over runs/s over two such hosts without faults, at two sizes.
import { HostSet } from '../src/llm/hosts.ts';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { MemoryStore, type RunStatus } from '../src/store/index.ts';
import { startSimulator, type FaultSpec } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow } from './chain.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { median } from './stats.ts';

const repetitions = 3;
/** Slots per host, in the simulator (OLLAMA_NUM_PARALLEL), the HostSet and the per-host limiter alike. */
const slots = 2;
/** Runs driven at once, as one worker drives several. */
const concurrency = 8;
const steps = 3;
const faults: FaultSpec = { rate: 0.08, kinds: ['500', '503', 'reset'] };

interface Sample {
  runsPerSecond: number;
  statuses: Partial<Record<RunStatus, number>>;
  /** Chat requests the hosts answered with a fault. */
  faults: number;
}

/** `runs` chain runs, `concurrency` at a time, over two fresh hosts (with or without faults) and a fresh HostSet. */
async function drive(runs: number, faulty: boolean, seed: number): Promise<Sample> {
  const sims = await Promise.all([0, 1].map((i) => startSimulator({
    seed: seed * 2 + i,
    numParallel: slots,
    // Latency-bound like a real model (the hosts' slots, not this process's CPU, set the pace), still quick to run.
    latency: { ttftMs: 50, perTokenMs: 2 },
    ...(faulty ? { faults } : {}),
  })));
  try {
    const hosts = new HostSet(sims.map((sim) => ({ host: sim.url, slots })));
    const limiter = new HostPool(slots);
    const store = new MemoryStore();
    const workflow = chainWorkflow(sims[0]?.url ?? '');
    const statuses: Partial<Record<RunStatus, number>> = {};
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < runs) {
        const i = next++;
        const record = await runWorkflow({
          store, workflow, modulePath: chainModule, hosts, limiter, runId: `r${seed}-${i}`,
          input: { question: `Question ${i} of set ${seed}?`, steps },
        });
        statuses[record.status] = (statuses[record.status] ?? 0) + 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, lane));
    const seconds = (performance.now() - started) / 1000;
    const faultCount = sims.reduce((sum, sim) => sum + Object.values(sim.stats().faults).reduce((a, b) => a + b, 0), 0);
    return { runsPerSecond: (statuses.done ?? 0) / seconds, statuses, faults: faultCount };
  } finally {
    await Promise.all(sims.map((sim) => sim.close()));
  }
}

const mean = (a: number, b: number): number => (a + b) / 2;

/**
 * Clean and faulty side by side, one sandwiched between two of the other (clean-faulty-clean, then faulty-clean-faulty,
 * …), each side's two figures averaged: a drift of the machine's load over a repetition hits both sides alike.
 */
async function measure(runs: number): Promise<{ ratios: number[]; clean: number[]; faulty: number[]; samples: Sample[] }> {
  const ratios: number[] = [];
  const clean: number[] = [];
  const faulty: number[] = [];
  const samples: Sample[] = [];
  for (let rep = 0; rep < repetitions; rep++) {
    const outer = rep % 2 === 1; // faulty outside
    const seed = runs * 10 + rep;
    const first = await drive(runs, outer, seed);
    const middle = await drive(runs, !outer, seed);
    const last = await drive(runs, outer, seed + 100);
    const cleans = outer ? [middle] : [first, last];
    const faults = outer ? [first, last] : [middle];
    for (const c of cleans) if ((c.statuses.done ?? 0) !== runs) throw new Error(`without faults, runs ended ${JSON.stringify(c.statuses)}`);
    const c = cleans.length === 2 ? mean(first.runsPerSecond, last.runsPerSecond) : middle.runsPerSecond;
    const f = faults.length === 2 ? mean(first.runsPerSecond, last.runsPerSecond) : middle.runsPerSecond;
    clean.push(c);
    faulty.push(f);
    ratios.push(f / c);
    samples.push(...faults);
    progress('faulty-hosts', `${runs} runs, repetition ${rep + 1}: ${c.toFixed(1)} runs/s clean, ${f.toFixed(1)} runs/s with ` +
      `${faults.map((s) => `${s.faults} faults ${JSON.stringify(s.statuses)}`).join(' and ')}`);
  }
  return { ratios, clean, faulty, samples };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sizes = quick ? [20, 80] as const : [50, 200] as const;
  progress('faulty-hosts', `${repetitions} × (clean, faulty, clean | faulty, clean, faulty) at ${sizes.join(' and ')} runs of a ${steps}-step chain, ${concurrency} at a time, ` +
    `over 2 hosts of ${slots} slots; faulty = 8 % of chat requests answered 500, 503 or reset`);
  await drive(concurrency, false, 0); // warm-up: JIT, sockets
  const figures: Record<string, Figure> = {};
  const notes: string[] = [];
  for (const [index, runs] of sizes.entries()) {
    const { ratios, clean, faulty, samples } = await measure(runs);
    const key = index === sizes.length - 1 ? 'faultyHostThroughput' : `faultyHostThroughputAt${runs}`;
    figures[key] = figure(ratios, {
      unit: 'ratio',
      goal: { op: '>=', target: 0.8 },
      measure: `runs/s of ${runs} ${steps}-step runs over 2 hosts with 8 % host faults ÷ runs/s without (HostSet, runWorkflow, ${concurrency} runs at a time)`,
    });
    const unfinished = samples.filter((s) => (s.statuses.done ?? 0) !== runs).map((s) => JSON.stringify(s.statuses));
    notes.push(`${key}: ${median(clean).toFixed(1)} runs/s without faults [${Math.min(...clean).toFixed(1)}, ${Math.max(...clean).toFixed(1)}], ` +
      `${median(faulty).toFixed(1)} runs/s with [${Math.min(...faulty).toFixed(1)}, ${Math.max(...faulty).toFixed(1)}]; faults injected per faulty drive: ` +
      `${samples.map((s) => s.faults).join(', ')}${unfinished.length > 0 ? `; runs not done: ${unfinished.join(', ')}` : ''}.`);
  }
  return { figures, notes };
}
