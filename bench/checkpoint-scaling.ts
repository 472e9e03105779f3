// Benchmark 4: a checkpoint's cost must not grow with the number of runs in the directory (one file per run).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { FileStore, type RunHandle, type RunRecord } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { ratioRow, type BenchResult } from './report.ts';
import { interleave, median } from './stats.ts';
import { oneStepWorkflow, workflowsModule } from './workflows.ts';

/** A finished one-step run, made for real against the simulator: the shape every populated file has. */
async function realisticRecord(): Promise<RunRecord> {
  const sim = await startSimulator({ seed: 4 });
  const scratch = tempDir('record');
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = oneStepWorkflow(sim.url);
    const record = await runWorkflow({ store, workflow, modulePath: workflowsModule, input: { question: 'Which river runs through Paris?' }, pool: new HostPool(1) });
    // A plain-JSON copy, as on disk, so the filler files and the live record share nothing with the finished run.
    return JSON.parse(JSON.stringify(record)) as RunRecord;
  } finally {
    await sim.close();
    scratch.remove();
  }
}

function populate(dir: string, template: RunRecord, count: number): void {
  for (let i = 0; i < count; i++) {
    const runId = `filler-${String(i).padStart(6, '0')}`;
    writeFileSync(join(dir, `${runId}.json`), JSON.stringify({ ...template, runId }));
  }
}

/** The run being checkpointed: the realistic record with a few journal entries, as after a few steps. */
function liveRecord(template: RunRecord, runId: string): RunRecord {
  const record = structuredClone(template);
  const first = record.journal[0];
  if (first) record.journal = [0, 1, 2, 3].map((i) => ({ ...structuredClone(first), key: `${first.key}.${i}` }));
  return { ...record, runId, status: 'running' };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const few = 10;
  const many = quick ? 1_000 : 10_000;
  const small = tempDir('ckpt-10');
  const large = tempDir(`ckpt-${many}`);
  const handles: RunHandle[] = [];
  try {
    const template = await realisticRecord();
    const bytes = JSON.stringify(template).length;
    progress('checkpoint', `populating ${few} and ${many} run files of ${(bytes / 1024).toFixed(1)} KiB`);
    populate(small.dir, template, few);
    populate(large.dir, template, many);

    const open = async (dir: string) => {
      const handle = await new FileStore({ dir }).create(liveRecord(template, 'live-run'));
      handles.push(handle);
      let tick = 0;
      // A slight change per checkpoint, as a step's progress makes: the timeline grows, the active time moves on.
      return async () => {
        tick++;
        handle.record.activeMs += 1;
        handle.record.timeline.push({ at: new Date().toISOString(), actor: 'root', event: `bench.${tick}`, state: ['asking'] });
        if (handle.record.timeline.length > 20) handle.record.timeline.splice(0, 1);
        await handle.save();
      };
    };
    const fns = { few: await open(small.dir), many: await open(large.dir) };
    const saves = quick ? 200 : 1_000;
    progress('checkpoint', `warm-up 50, then ${saves} saves in each directory, alternating`);
    await interleave(50, fns);
    const s = await interleave(saves, fns);
    return {
      rows: [ratioRow('4 checkpoint', `handle.save() with ${many} vs ${few} run files in the directory`, median(s.few), median(s.many), { max: 1.2 })],
      notes: [`4 checkpoint: ${saves} saves per directory of a ${(JSON.stringify(handles[0]?.record).length / 1024).toFixed(1)} KiB record (4 journal entries); files of ${(bytes / 1024).toFixed(1)} KiB each.`],
    };
  } finally {
    for (const handle of handles) await handle.close();
    small.remove();
    large.remove();
  }
}
