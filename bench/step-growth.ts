// stepCostGrowth: a step's harness cost late in a long chain (around step 1,000) over its cost early on (around
// step 10), in one run; each step of both windows times a raw call of the same request right before its own.
import { runWorkflow } from '../src/runtime/index.ts';
import type { HostLimiter } from '../src/steps/index.ts';
import { FileStore } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow, rawChainCall } from './chain.ts';
import { pause, progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { median } from './stats.ts';

const question = 'Give one fact about rivers.';

/**
 * A limiter that grants at once and stamps when each step's call asks for its slot. In the windows, odd steps first
 * make the same request with the bare client and time it (after a short pause, so the run's checkpoint in flight is
 * not counted in the raw call); even steps are left alone, and the gap from their stamp to the next step's is one
 * whole step: the harness's work for it plus its own call. Harness cost = median even step − median raw call.
 */
function probe(host: string, inWindow: (k: number) => boolean) {
  const stamps: number[] = [];
  const raws = new Map<number, number>();
  let k = 0;
  const limiter: HostLimiter = {
    async acquire() {
      k++;
      stamps[k] = performance.now();
      if (inWindow(k) && k % 2 === 1) {
        await pause(5);
        const started = performance.now();
        await rawChainCall(host, question, k - 1);
        raws.set(k, performance.now() - started);
      }
      return () => {};
    },
  };
  /** The window's harness cost per step, over steps [from, to]. */
  const cost = (from: number, to: number) => {
    const steps: number[] = [];
    const raw: number[] = [];
    for (let i = from; i <= to; i++) {
      const r = raws.get(i);
      if (r !== undefined) raw.push(r);
      const next = stamps[i + 1];
      const at = stamps[i];
      if (i % 2 === 0 && next !== undefined && at !== undefined) steps.push(next - at);
    }
    return { harness: median(steps) - median(raw), step: median(steps), raw: median(raw) };
  };
  return { limiter, cost };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const steps = quick ? 300 : 1_000;
  const early = [1, 20] as const; // steps 1–20, around step 10
  const late = [steps - 20, steps] as const; // the last 20 steps (the last has no next stamp: 10 whole steps timed)
  const sim = await startSimulator({ seed: 8 });
  const files = tempDir('growth');
  try {
    const store = new FileStore({ dir: files.dir });
    const workflow = chainWorkflow(sim.url);
    const inWindow = (k: number) => (k >= early[0] && k <= early[1]) || k >= late[0] - 1;
    progress('growth', `warm-up chain of 50 steps, then 3 runs of ${steps} chained steps (raw call timed beside odd steps 1–20 and ${late[0]}–${steps})`);
    await runWorkflow({ store, workflow, modulePath: chainModule, input: { question, steps: 50 }, runId: 'warm-up', limiter: probe(sim.url, () => true).limiter });
    const at10: number[] = [];
    const atEnd: number[] = [];
    const growth: number[] = [];
    const raws: number[] = [];
    const stepsEarly: number[] = [];
    const stepsLate: number[] = [];
    const walls: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const { limiter, cost } = probe(sim.url, inWindow);
      const started = performance.now();
      const record = await runWorkflow({ store, workflow, modulePath: chainModule, input: { question, steps }, runId: `growth-${rep}`, limiter });
      walls.push((performance.now() - started) / 1000);
      if (record.status !== 'done' || record.journal.length !== steps) throw new Error(`chain ended ${record.status} after ${record.journal.length} steps`);
      const a = cost(early[0], early[1]);
      const b = cost(late[0], late[1]);
      at10.push(a.harness);
      atEnd.push(b.harness);
      growth.push(b.harness / a.harness);
      raws.push(a.raw, b.raw);
      stepsEarly.push(a.step);
      stepsLate.push(b.step);
      progress('growth', `run ${rep + 1}: ${walls.at(-1)?.toFixed(1)} s; harness per step ${a.harness.toFixed(3)} ms early, ${b.harness.toFixed(3)} ms late`);
    }
    const late1000 = quick ? `step ${steps}` : 'step 1,000';
    return {
      figures: {
        stepCostGrowth: figure(growth, {
          unit: 'ratio',
          goal: { op: '<=', target: 1.2 },
          measure: `harness cost per step at ${late1000} over at step 10, one run each (whole step − raw call beside it)`,
          baselines: at10,
          candidates: atEnd,
        }),
        stepCostAt10Ms: figure(at10, { unit: 'ms', goal: null, measure: 'harness cost per step, steps 1–20: median whole step (even steps) − median raw call (odd steps)', baselines: raws, candidates: stepsEarly }),
        stepCostAt1000Ms: figure(atEnd, {
          unit: 'ms',
          goal: null,
          measure: `harness cost per step, steps ${late[0]}–${steps}: median whole step − median raw call`,
          baselines: raws,
          candidates: stepsLate,
        }),
      },
      notes: [
        `stepCostGrowth: ${steps}-step chains on FileStore (no fsync), zero-latency simulator; runs took ${walls.map((w) => w.toFixed(1)).join(', ')} s ` +
          `(raw calls of the windows included).${quick ? ` Quick mode: the late window is at step ${steps}, not 1,000.` : ''}`,
      ],
    };
  } finally {
    await sim.close();
    files.remove();
  }
}
