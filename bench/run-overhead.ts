// runOverheadMs: what a whole one-step run costs on top of its one model call (create the run, drive the step, commit,
// finish, close: FileStore without fsync), beside the same raw call; and runVsLangGraph, that overhead over LangGraph's
// for a one-node StateGraph with a SqliteSaver, measured beside them in the same process.
import { startSimulator } from '../src/testing/index.ts';
import { chainContenders } from './chain-contenders.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult, type Figure } from './report.ts';
import { interleave, median } from './stats.ts';

const question = 'Name one river in France.';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sim = await startSimulator({ seed: 8 });
  const files = tempDir('run-overhead');
  const notes: string[] = [];
  let closeGraph = () => {};
  try {
    const contenders = await chainContenders(sim.url, files.dir, question, 1, notes);
    closeGraph = contenders.close;
    const { fns } = contenders;
    const rounds = quick ? 10 : 40;
    progress('run', `one-step runs: warm-up 10 rounds, then 3 repetitions of ${rounds} interleaved rounds (${Object.keys(fns).join(', ')})`);
    await interleave(10, fns);
    const overhead = { harness: [] as number[], langgraph: [] as number[] };
    const raws: number[] = [];
    const whole = { harness: [] as number[], langgraph: [] as number[] };
    const versus: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const s = await interleave(rounds, fns);
      const raw = s.raw ?? [];
      raws.push(median(raw));
      for (const name of ['harness', 'langgraph'] as const) {
        const times = s[name];
        if (!times) continue;
        // Each round's run minus the raw call beside it; the repetition's value is their median.
        overhead[name].push(median(times.map((t, i) => t - (raw[i] ?? t))));
        whole[name].push(median(times));
      }
      const ours = overhead.harness.at(-1);
      const theirs = overhead.langgraph.at(-1);
      if (ours !== undefined && theirs !== undefined) versus.push(ours / theirs);
    }
    const figures: Record<string, Figure> = {
      runOverheadMs: figure(overhead.harness, {
        unit: 'ms',
        goal: null,
        measure: 'one-step run, start to finished record (FileStore no fsync) − one raw ollama-js call',
        baselines: raws,
        candidates: whole.harness,
      }),
    };
    if (versus.length > 0) {
      figures.langgraphRunOverheadMs = figure(overhead.langgraph, {
        unit: 'ms',
        goal: null,
        measure: 'one-node LangGraph StateGraph + SqliteSaver invoke − one raw call',
        baselines: raws,
        candidates: whole.langgraph,
      });
      figures.runVsLangGraph = figure(versus, { unit: 'ratio', goal: { op: '<=', target: 0.5 }, measure: 'runOverheadMs ÷ langgraphRunOverheadMs, same rounds' });
    }
    notes.push('runOverheadMs: baseline and candidate columns are the raw call and the whole run, medians in ms.');
    return { figures, notes };
  } finally {
    closeGraph();
    await sim.close();
    files.remove();
  }
}
