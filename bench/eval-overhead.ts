// evalOverhead: the wall time of an eval of N cases (dataset, a real run per case in the eval's store, assertions,
// coverage, results log, report) over the same N runs driven directly with the same concurrency, interleaved.
// evalCacheHitMs: what answering one call from the call cache costs, in an eval whose calls are all cached.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, FileCallCache, planEval, runEval, type EvalSource } from '../src/eval/index.ts';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import type { CallCache } from '../src/steps/call-cache.ts';
import { FileStore } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow } from './chain.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { median, timed } from './stats.ts';

const repetitions = 3;
const concurrency = 4;
/** Eval/direct pairs per repetition. */
const pairs = 5;

/** A cache that times its hits: the time from asking to the reply in hand, what a cached call costs the run. */
function timedCache(cache: FileCallCache): CallCache & { perHitMs: () => number } {
  let hits = 0;
  let ms = 0;
  return {
    async get(request) {
      const started = performance.now();
      const kept = await cache.get(request);
      if (kept) {
        ms += performance.now() - started;
        hits += 1;
      }
      return kept;
    },
    put: (request, result) => cache.put(request, result),
    perHitMs: () => (hits === 0 ? Number.NaN : ms / hits),
  };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sizes = quick ? [20, 50] : [50, 200];
  // Zero latency: the runs cost only CPU, where what the eval adds shows most.
  const sim = await startSimulator({ seed: 3, numParallel: concurrency });
  const tmp = tempDir('eval');
  try {
    const workflow = chainWorkflow(sim.url);
    const source: EvalSource = { kind: 'workflow', file: chainModule, workflow };
    const figures: Record<string, Figure> = {};
    const notes: string[] = [];
    let serial = 0;
    for (const [index, n] of sizes.entries()) {
      const dataset = join(tmp.dir, `cases-${n}.jsonl`);
      writeFileSync(dataset, Array.from({ length: n }, (_, i) => `${JSON.stringify({ id: `q${i}`, input: { question: `Question ${i}?`, steps: 1 }, expected: { steps: 1 } })}\n`).join(''));
      const inputs = Array.from({ length: n }, (_, i) => ({ question: `Question ${i}?`, steps: 1 }));
      const evalOnce = async (cache: CallCache | null = null) => {
        const plan = planEval({ source, cwd: tmp.dir, evalsDir: join(tmp.dir, 'evals'), dataset, evalId: `e${serial++}`, assert: [assert.equals('steps'), assert.equals('flags', [])] });
        const { report } = await runEval({ plan, concurrency, cache, limiter: new HostPool(concurrency), cwd: tmp.dir });
        if (report.variants[0]?.pass !== n) throw new Error(`the eval passed ${report.variants[0]?.pass} of ${n}`);
      };
      const direct = async () => {
        const store = new FileStore({ dir: join(tmp.dir, `direct-${serial++}`) });
        const limiter = new HostPool(concurrency);
        let next = 0;
        const lane = async () => {
          while (next < n) {
            const input = inputs[next++];
            if (input === undefined) break;
            const record = await runWorkflow({ store, workflow, modulePath: chainModule, input, limiter, cwd: tmp.dir });
            if (record.status !== 'done') throw new Error(`a direct run ended ${record.status}`);
          }
        };
        await Promise.all(Array.from({ length: concurrency }, lane));
      };
      await evalOnce();
      await direct(); // warm-up of both
      const ratios: number[] = [];
      const cpuRatios: number[] = [];
      const evals: number[] = [];
      const directs: number[] = [];
      for (let rep = 0; rep < repetitions; rep++) {
        // Pairs taken back to back, the order swapped every pair: a drift of the machine's load (other processes on a
        // shared 2-core machine) hits both sides alike. A repetition is the ratio of the sums over its pairs.
        let e = 0;
        let d = 0;
        let eCpu = 0;
        let dCpu = 0;
        for (let pair = 0; pair < pairs; pair++) {
          const sides = pair % 2 === 0 ? (['eval', 'direct'] as const) : (['direct', 'eval'] as const);
          for (const side of sides) {
            const cpu = process.cpuUsage();
            const ms = await timed(side === 'eval' ? () => evalOnce() : direct);
            const used = process.cpuUsage(cpu);
            if (side === 'eval') {
              e += ms;
              eCpu += used.user + used.system;
            } else {
              d += ms;
              dCpu += used.user + used.system;
            }
          }
        }
        evals.push(e / pairs);
        directs.push(d / pairs);
        ratios.push(e / d);
        cpuRatios.push(eCpu / dCpu);
        progress('eval', `${n} cases, repetition ${rep + 1} (${pairs} pairs): eval ${(e / pairs).toFixed(0)} ms, direct runs ${(d / pairs).toFixed(0)} ms (×${(e / d).toFixed(3)}; CPU ×${(eCpu / dCpu).toFixed(3)})`);
      }
      const last = index === sizes.length - 1;
      figures[last ? 'evalOverhead' : `evalOverheadAt${n}`] = figure(ratios, {
        unit: 'ratio',
        goal: { op: '<=', target: 1.1 },
        measure: `wall time of an eval of ${n} one-step cases ÷ the same ${n} runs driven directly, ${concurrency} at a time, FileStore, zero-latency simulator (${pairs} interleaved pairs a repetition)`,
        baselines: directs,
        candidates: evals,
      });

      // The cache: one eval fills it, then each repetition is a fresh eval answered from it alone.
      const cache = new FileCallCache(join(tmp.dir, `cache-${n}`));
      await evalOnce(cache);
      const perHit: number[] = [];
      for (let rep = 0; rep < repetitions; rep++) {
        const before = sim.stats().completed;
        const timing = timedCache(new FileCallCache(cache.dir));
        await evalOnce(timing);
        if (sim.stats().completed !== before) throw new Error('a cached eval called the model');
        perHit.push(timing.perHitMs());
      }
      figures[last ? 'evalCacheHitMs' : `evalCacheHitMsAt${n}`] = figure(perHit, {
        unit: 'ms',
        goal: { op: '<=', target: 0.2 },
        measure: `per call answered from the call cache (key, file read, schema check), in an eval of ${n} cases whose calls are all cached`,
      });
      notes.push(`eval at ${n} cases: eval ${median(evals).toFixed(0)} ms vs direct ${median(directs).toFixed(0)} ms a pass (medians); CPU time eval ÷ direct ×${median(cpuRatios).toFixed(3)} [${Math.min(...cpuRatios).toFixed(3)}, ${Math.max(...cpuRatios).toFixed(3)}]; a cached eval made no model call.`);
    }
    return { figures, notes };
  } finally {
    await sim.close();
    tmp.remove();
  }
}
