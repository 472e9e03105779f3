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
    // Fan-out limit equal to the server's slots: a finished item's journal write lies between its call and the next one.
    const workflow = fanOutWorkflow(sim.url, slots);
    // Fan-out limit above the host pool's: the pool (released as a call returns) paces the calls, as recommended.
    const paced = fanOutWorkflow(sim.url, slots * 2);
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
    const raws: number[] = [];
    const efficiencies: number[] = [];
    const pacedEfficiencies: number[] = [];
    const ideals: number[] = [];
    const actuals: number[] = [];
    const pacedActuals: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < 5; i++) singles.push(await timed(() => single(i)));
      // The same 16 calls made with the bare client, 4 at a time: what the server and client cost without the harness.
      raws.push(await timed(async () => {
        let next = 0;
        const lane = async () => {
          while (next < items) await single(next++);
        };
        await Promise.all(Array.from({ length: slots }, lane));
      }));
      const ideal = Math.ceil(items / slots) * median(singles);
      const actual = await timed(async () => {
        const record = await runWorkflow({ store, workflow, modulePath: workflowsModule, input: { items: list }, pool, runId: `fan-out-${rep}` });
        if (record.status !== 'done') throw new Error(`fan-out ended ${record.status}`);
      });
      const pacedActual = await timed(async () => {
        const record = await runWorkflow({ store, workflow: paced, modulePath: workflowsModule, input: { items: list }, pool, runId: `fan-out-paced-${rep}` });
        if (record.status !== 'done') throw new Error(`fan-out ended ${record.status}`);
      });
      ideals.push(ideal);
      actuals.push(actual);
      pacedActuals.push(pacedActual);
      efficiencies.push(ideal / actual);
      pacedEfficiencies.push(ideal / pacedActual);
    }
    const row = ratioRow('7 fan-out', `fan-out (limit ${slots * 2}, host pool ${slots}) vs ideal ceil(${items}/${slots}) × single call, median`, median(ideals), median(pacedActuals), null);
    const efficiency = median(pacedEfficiencies);
    const tightRow = ratioRow('7 fan-out', `fan-out (limit ${slots} = host pool ${slots}) vs the same ideal (info)`, median(ideals), median(actuals), null);
    const rawRow = ratioRow('7 fan-out', `the same fan-out vs ${items} bare callModel calls, ${slots} at a time (info)`, median(raws), median(actuals), null);
    return {
      rows: [
        { ...row, result: `eff ${efficiency.toFixed(3)}`, target: '≥ 0.95', verdict: efficiency >= 0.95 ? 'PASS' : 'MISS' },
        { ...tightRow, result: `eff ${median(efficiencies).toFixed(3)}`, target: 'info', verdict: 'info' },
        { ...rawRow, result: `eff ${(median(raws) / median(actuals)).toFixed(3)}`, target: 'info', verdict: 'info' },
      ],
      notes: [
        `7 fan-out: single call median ${median(singles).toFixed(1)} ms (ttft 50 ms + 10 tokens × 5 ms); efficiency = ideal / actual per round, ` +
          `median of ${reps}; the actual time is the whole runWorkflow (run file, ${items} child machines, journal writes, checkpoints). ` +
          `With the fan-out limit equal to the pool, each wave also waits for the finished items' journal write (~3 ms) before the next item starts; ` +
          `a limit above the pool lets the pool, released as soon as a call returns, start the next call at once.`,
      ],
    };
  } finally {
    await sim.close();
    scratch.remove();
  }
}
