// stepOverheadMs: what one model step of a chain costs on top of its model call (child machine, journal append,
// checkpoints, FileStore without fsync), from a run of N chained steps beside the same N raw calls; and the same
// chain on LangGraph.js with a SqliteSaver, beside the same raw calls.
import { startSimulator } from '../src/testing/index.ts';
import { chainContenders } from './chain-contenders.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { interleave, median } from './stats.ts';

const question = 'What is the capital of France?';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const steps = 100;
  const sim = await startSimulator({ seed: 3 });
  const files = tempDir('chain');
  const notes: string[] = [];
  let closeGraph = () => {};
  try {
    const contenders = await chainContenders(sim.url, files.dir, question, steps, notes);
    closeGraph = contenders.close;
    const { fns } = contenders;
    const warmup = quick ? 2 : 4;
    const rounds = quick ? 1 : 3;
    progress('step', `chains of ${steps} steps: warm-up ${warmup} rounds, then 3 repetitions of ${rounds} interleaved rounds (${Object.keys(fns).join(', ')})`);
    await interleave(warmup, fns);
    const per = { harness: [] as number[], langgraph: [] as number[] };
    const base = { harness: [] as number[], langgraph: [] as number[] };
    const cand = { harness: [] as number[], langgraph: [] as number[] };
    for (let rep = 0; rep < 3; rep++) {
      const s = await interleave(rounds, fns);
      const raw = s.raw ?? [];
      for (const name of ['harness', 'langgraph'] as const) {
        const times = s[name];
        if (!times) continue;
        // (run wall time − the same N raw calls' time) / N, per round; the repetition's value is their median.
        per[name].push(median(times.map((t, i) => (t - (raw[i] ?? t)) / steps)));
        base[name].push(median(raw) / steps);
        cand[name].push(median(times) / steps);
      }
    }
    const figures: Record<string, Figure> = {
      stepOverheadMs: figure(per.harness, {
        unit: 'ms',
        goal: { op: '<=', target: 0.5 },
        measure: `per step: (${steps}-step chain run, FileStore no fsync − ${steps} raw ollama-js calls) / ${steps}`,
        baselines: base.harness,
        candidates: cand.harness,
      }),
    };
    if (per.langgraph.length > 0) {
      figures.langgraphStepOverheadMs = figure(per.langgraph, {
        unit: 'ms',
        goal: null,
        measure: `per step: (${steps}-step LangGraph StateGraph + SqliteSaver − ${steps} raw calls) / ${steps}`,
        baselines: base.langgraph,
        candidates: cand.langgraph,
      });
      figures.stepVsLangGraph = figure(
        per.harness.map((ours, i) => ours / (per.langgraph[i] ?? Number.NaN)),
        { unit: 'ratio', goal: { op: '<=', target: 0.5 }, measure: 'stepOverheadMs ÷ langgraphStepOverheadMs, same repetition' },
      );
    }
    notes.push(
      `stepOverheadMs: ${steps} schema-checked steps per run, each a fresh step child machine (journal append + coalesced ` +
        `checkpoints), zero-latency simulator; baseline and candidate columns are per step (raw call, whole step).`,
    );
    return { figures, notes };
  } finally {
    closeGraph();
    await sim.close();
    files.remove();
  }
}
