// fanoutEfficiency: how close a bounded fan-out of model steps comes to the ideal wall time on a 4-slot server:
// ideal = ceil(items / slots) × L, L the single-call latency measured beside it with the bare client.
// fanoutCheckpointGrowth: in the same runs, the largest checkpoint written while the fan-out runs over the first one
// written after its first item was journaled (bytes of the checkpoint as JSON).
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { isCallEntry } from '../src/steps/services.ts';
import { checkpointOf, FileStore, type Checkpoint, type RunRecord } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { fanOutWorkflow, rawItemCall } from './chain.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { median, timed } from './stats.ts';

const slots = 4;
const items = 64;
/** Ten words: ten streamed tokens, so every call costs ttft 50 ms + 10 × perTokenMs 5 ms ≈ 100 ms on the server. */
const reply = 'The river runs north past the old mill and on.';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sim = await startSimulator({ seed: 7, numParallel: slots, latency: { ttftMs: 50, perTokenMs: 5 }, script: { '*': () => reply } });
  const scratch = tempDir('fanout');
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = fanOutWorkflow(sim.url, slots);
    const list = Array.from({ length: items }, (_, i) => `document ${i + 1}`);
    const singlesPerRep = quick ? 3 : 5;
    progress('fanout', `3 repetitions: ${singlesPerRep} single calls, ${quick ? '' : `${items} bare calls ${slots} at a time, `}a fan-out of ${items} model steps (concurrency ${slots}, HostPool(${slots})) on ${slots} server slots`);
    await rawItemCall(sim.url, 'warm-up'); // connection, JIT
    await runWorkflow({ store, workflow, modulePath: chainModule, input: { items: list.slice(0, slots * 2) }, limiter: new HostPool(slots), runId: 'warm-up' });
    const efficiencies: number[] = [];
    const rawEfficiencies: number[] = [];
    const ideals: number[] = [];
    const actuals: number[] = [];
    const latencies: number[] = [];
    const growths: number[] = [];
    const firstSizes: number[] = [];
    const largestSizes: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const singles: number[] = [];
      for (let i = 0; i < singlesPerRep; i++) singles.push(await timed(() => rawItemCall(sim.url, list[i] ?? 'x')));
      const latency = median(singles);
      const ideal = Math.ceil(items / slots) * latency;
      // The same calls made with the bare client, `slots` at a time: what server and client cost without the harness.
      // (Quick mode leaves it out: it is information only.)
      const raw = quick ? null : await timed(async () => {
        let next = 0;
        const lane = async () => {
          while (next < items) await rawItemCall(sim.url, list[next++] ?? 'x');
        };
        await Promise.all(Array.from({ length: slots }, lane));
      });
      // The checkpoints are kept as written (each commit's snapshot is a new object, never changed after) and weighed
      // once the run is timed: JSON.stringify of each while it runs was work on the fan-out's event loop that the
      // bare-client baseline never does.
      const written: Checkpoint[] = [];
      const onCheckpoint = (record: RunRecord) => {
        if (record.status === 'running' && record.journal.some(isCallEntry)) written.push(checkpointOf(record));
      };
      const actual = await timed(async () => {
        const record = await runWorkflow({ store, workflow, modulePath: chainModule, input: { items: list }, limiter: new HostPool(slots), runId: `fan-out-${rep}`, onCheckpoint });
        if (record.status !== 'done' || record.journal.filter(isCallEntry).length !== items) throw new Error(`fan-out ended ${record.status} with ${record.journal.length} calls`);
      });
      const sizes = written.map((checkpoint) => Buffer.byteLength(JSON.stringify(checkpoint)));
      const first = sizes[0] ?? 0;
      const largest = Math.max(0, ...sizes);
      latencies.push(latency);
      ideals.push(ideal);
      actuals.push(actual);
      efficiencies.push(ideal / actual);
      growths.push(largest / first);
      firstSizes.push(first);
      largestSizes.push(largest);
      if (raw !== null) rawEfficiencies.push(ideal / raw);
    }
    const figures: Record<string, Figure> = {
        fanoutEfficiency: figure(efficiencies, {
          unit: 'ratio',
          goal: { op: '>=', target: 0.97 },
          measure: `ideal ceil(${items}/${slots}) × single-call latency over the fan-out run's wall time (runWorkflow, FileStore)`,
          baselines: ideals,
          candidates: actuals,
        }),
        fanoutCheckpointGrowth: figure(growths, {
          unit: 'ratio',
          goal: { op: '<=', target: 1.5 },
          measure: `largest checkpoint while the ${items}-item fan-out runs ÷ the first after its first item (JSON bytes)`,
          baselines: firstSizes,
          candidates: largestSizes,
        }),
    };
    if (rawEfficiencies.length > 0) {
      figures.rawFanoutEfficiency = figure(rawEfficiencies, {
        unit: 'ratio',
        goal: null,
        measure: `the same ideal over ${items} bare ollama-js calls, ${slots} lanes (what client + server allow)`,
      });
    }
    return {
      figures,
      notes: [
        `fanoutEfficiency: single-call latency L median ${median(latencies).toFixed(1)} ms (ttft 50 ms + 10 tokens × 5 ms); the fan-out ` +
          `is fanOut({ worker: modelStep, concurrency: ${slots} }) with a HostPool(${slots}) limiter (one item started ahead, its call ` +
          `waiting for the fan-out's slots); the actual time is the whole run ` +
          `(run directory, ${items} step machines, journal appends, checkpoints).`,
      ],
    };
  } finally {
    await sim.close();
    scratch.remove();
  }
}
