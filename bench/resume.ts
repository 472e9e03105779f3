// Benchmark 5: resuming a long run (1,000 journaled steps, now waiting for a person) back to waiting.
import { readFileSync, statSync } from 'node:fs';
import { HostPool } from '../src/llm/pool.ts';
import { resumeWorkflow, runWorkflow } from '../src/runtime/index.ts';
import { FileStore } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { ms, verdict, type BenchResult } from './report.ts';
import { interleave, median } from './stats.ts';
import { loopWorkflow, workflowsModule } from './workflows.ts';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const steps = quick ? 200 : 1_000;
  const resumes = quick ? 5 : 20;
  const sim = await startSimulator({ seed: 5 });
  const scratch = tempDir('resume');
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = loopWorkflow(sim.url);
    const pool = new HostPool(1);
    progress('resume', `building a run of ${steps} model steps against a zero-latency simulator`);
    const built = performance.now();
    const first = await runWorkflow({ store, workflow, modulePath: workflowsModule, input: { question: 'Give one fact about rivers.', steps }, pool });
    if (first.status !== 'waiting' || first.journal.length !== steps) {
      throw new Error(`expected a waiting run with ${steps} journal entries, got ${first.status} with ${first.journal.length}`);
    }
    const buildSeconds = (performance.now() - built) / 1000;
    const file = store.pathOf(first.runId);
    const size = statSync(file).size;

    progress('resume', `${(size / 2 ** 20).toFixed(2)} MiB run file built in ${buildSeconds.toFixed(1)} s; ${resumes} resumes, each beside a read + JSON.parse`);
    const fns = {
      parse: async () => JSON.parse(readFileSync(file, 'utf8')),
      // read + validate + hash check + lock + epoch bump + restore + first checkpoint + settle back to waiting.
      resume: async () => {
        const record = await resumeWorkflow({ store, runId: first.runId, workflow, pool });
        if (record.status !== 'waiting') throw new Error(`resume ended ${record.status}`);
      },
    };
    await interleave(2, fns);
    const s = await interleave(resumes, fns);
    const resume = median(s.resume);
    const parse = median(s.parse);
    return {
      rows: [
        {
          id: '5 resume',
          measure: `resumeWorkflow of a ${steps}-step run back to waiting vs read + JSON.parse of its file, median`,
          baseline: ms(parse),
          candidate: ms(resume),
          result: `×${(resume / parse).toFixed(1)}`,
          target: '< 50 ms',
          verdict: verdict(resume < 50),
        },
      ],
      notes: [
        `5 resume: run file ${(size / 2 ** 20).toFixed(2)} MiB (${steps} journal entries, timeline capped at 1000), built in ` +
          `${buildSeconds.toFixed(1)} s; ${resumes} resumes (each bumps the epoch and rewrites the file); the target is on the resume time itself.`,
      ],
    };
  } finally {
    await sim.close();
    scratch.remove();
  }
}
