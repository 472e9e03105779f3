// resume1000Ms: resuming a long run (1,000 journaled steps, now waiting for a person) until it settles back to
// waiting — open, read the journal, restore, first checkpoint — beside the resume of the same run with 10 steps.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { resumeWorkflow, runWorkflow } from '../src/runtime/index.ts';
import { FileStore } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow } from './chain.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { interleave, median } from './stats.ts';

const kib = (dir: string): string => (readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0) / 1024).toFixed(0);

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const long = 1_000;
  const short = 10;
  const resumes = quick ? 3 : 7;
  const sim = await startSimulator({ seed: 5 });
  const scratch = tempDir('resume');
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = chainWorkflow(sim.url);
    const build = async (steps: number) => {
      const record = await runWorkflow({ store, workflow, modulePath: chainModule, input: { question: 'Give one fact about rivers.', steps, wait: true }, runId: `resume-${steps}` });
      if (record.status !== 'waiting' || record.journal.length !== steps) {
        throw new Error(`expected a waiting run with ${steps} journal entries, got ${record.status} with ${record.journal.length}`);
      }
      return record.runId;
    };
    progress('resume', `building runs of ${short} and ${long} chained model steps that end waiting for APPROVE`);
    const built = performance.now();
    const ids = { short: await build(short), long: await build(long) };
    const buildSeconds = (performance.now() - built) / 1000;
    const resume = (runId: string) => async () => {
      const record = await resumeWorkflow({ store, runId, workflow });
      if (record.status !== 'waiting') throw new Error(`resume ended ${record.status}`);
    };
    const fns = { short: resume(ids.short), long: resume(ids.long) };
    progress('resume', `built in ${buildSeconds.toFixed(1)} s; warm-up 3, then 3 repetitions of ${resumes} interleaved resumes of each`);
    await interleave(3, fns);
    const longs: number[] = [];
    const shorts: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const s = await interleave(resumes, fns);
      longs.push(median(s.long));
      shorts.push(median(s.short));
    }
    return {
      figures: {
        resume1000Ms: figure(longs, {
          unit: 'ms',
          goal: { op: '<', target: 20 },
          measure: `resumeWorkflow of a ${long}-step waiting run until it settles (baseline: the same with ${short} steps), median`,
          baselines: shorts,
          candidates: longs,
        }),
        resumeGrowth: figure(
          longs.map((l, i) => l / (shorts[i] ?? l)),
          { unit: 'ratio', goal: null, measure: `resume of the ${long}-step run over resume of the ${short}-step run` },
        ),
      },
      notes: [
        `resume1000Ms: run directories ${kib(join(scratch.dir, ids.long))} KiB (${long} steps) and ${kib(join(scratch.dir, ids.short))} KiB (${short}); ` +
          `each resume reads the run's head (meta, checkpoint.json, the history's tail) to decide, takes the lock, reads them again with the journal ` +
          `and the timeline's kept tail (at once), bumps the epoch (checkpoint.json), restores the actor, commits, and writes checkpoint.json at rest.`,
      ],
    };
  } finally {
    await sim.close();
    scratch.remove();
  }
}
