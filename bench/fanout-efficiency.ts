// Benchmark 7: how close a bounded fan-out of sub-agents comes to the ideal wall time on a 4-slot server.
import { callModel } from '../src/llm/index.ts';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { FileStore } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { ratioRow, type BenchResult } from './report.ts';
import { median, timed } from './stats.ts';
import { benchModel, fanOutWorkflow, workflowsModule } from './workflows.ts';

const slots = 4;
const items = 16;
/** Ten words: ten streamed tokens, so every call costs ttft + 10 × perTokenMs on the server. */
const reply = 'The river runs north past the old mill and on.';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sim = await startSimulator({ seed: 7, numParallel: slots, latency: { ttftMs: 50, perTokenMs: 5 }, script: { '*': () => reply } });
  const scratch = tempDir('fanout');
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = fanOutWorkflow(sim.url, slots);
    const pool = new HostPool(slots);
    const list = Array.from({ length: items }, (_, i) => `document ${i + 1}`);
    const single = async (i: number) => {
      const result = await callModel([{ role: 'user', content: `Summarise document ${i}.` }], { model: benchModel, host: sim.url, timeoutMs: 10_000 });
      if (!result.success) throw new Error(`single call failed: ${result.metadata.error?.message}`);
    };
    const reps = quick ? 2 : 6;
    progress('fanout', `${reps} rounds: 5 single calls, then a fan-out of ${items} sub-agents, ${slots} at a time, on ${slots} server slots`);
    await single(0); // warm-up: connection, model load, JIT
    const singles: number[] = [];
    const efficiencies: number[] = [];
    const ideals: number[] = [];
    const actuals: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < 5; i++) singles.push(await timed(() => single(i)));
      const ideal = Math.ceil(items / slots) * median(singles);
      const actual = await timed(async () => {
        const record = await runWorkflow({ store, workflow, modulePath: workflowsModule, input: { items: list }, pool, runId: `fan-out-${rep}` });
        if (record.status !== 'done') throw new Error(`fan-out ended ${record.status}`);
      });
      ideals.push(ideal);
      actuals.push(actual);
      efficiencies.push(ideal / actual);
    }
    const row = ratioRow('7 fan-out', `fan-out wall time vs ideal ceil(${items}/${slots}) × single call, median (ratio = actual/ideal)`, median(ideals), median(actuals), null);
    const efficiency = median(efficiencies);
    return {
      rows: [{ ...row, result: `eff ${efficiency.toFixed(3)}`, target: '≥ 0.95', verdict: efficiency >= 0.95 ? 'PASS' : 'MISS' }],
      notes: [
        `7 fan-out: single call median ${median(singles).toFixed(1)} ms (ttft 50 ms + 10 tokens × 5 ms); efficiency = ideal / actual per round, ` +
          `median of ${reps}; the actual time is the whole runWorkflow (run file, ${items} child machines, journal writes, checkpoints).`,
      ],
    };
  } finally {
    await sim.close();
    scratch.remove();
  }
}
