// checkpointGrowth and listGrowth: a checkpoint's cost must not grow with the number of runs in the store's directory,
// and listing must stay linear in the number of runs (one directory per run).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runWorkflow } from '../src/runtime/index.ts';
import { FileStore, type Checkpoint, type RunRecord, type RunSession } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow } from './chain.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { interleave, median } from './stats.ts';

/** A finished 3-step chain run, made for real against the simulator: the directory every filler copies. */
async function realisticRun(dir: string): Promise<RunRecord> {
  const sim = await startSimulator({ seed: 4 });
  try {
    const store = new FileStore({ dir });
    return await runWorkflow({ store, workflow: chainWorkflow(sim.url), modulePath: chainModule, input: { question: 'Which river runs through Paris?', steps: 3 }, runId: 'template' });
  } finally {
    await sim.close();
  }
}

/** `count` copies of the template's run directory, each with its own id in run.json (a store refuses a copied one). */
function populate(dir: string, templateDir: string, count: number): void {
  const files = readdirSync(templateDir).filter((f) => f !== 'lock' && f !== 'cancel');
  const contents = new Map(files.map((f) => [f, readFileSync(join(templateDir, f), 'utf8')]));
  const meta = JSON.parse(contents.get('run.json') ?? '{}') as Record<string, unknown>;
  for (let i = 0; i < count; i++) {
    const runId = `filler-${String(i).padStart(6, '0')}`;
    const runDir = join(dir, runId);
    mkdirSync(runDir, { recursive: true });
    for (const [file, text] of contents) writeFileSync(join(runDir, file), file === 'run.json' ? JSON.stringify({ ...meta, runId }) : text);
  }
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const many = quick ? 1_000 : 10_000;
  const sizes = [100, 1_000, ...(quick ? [] : [many])];
  const template = tempDir('ckpt-template');
  const dirs = new Map(sizes.map((n) => [n, tempDir(`ckpt-${n}`)]));
  const sessions: RunSession[] = [];
  try {
    const record = await realisticRun(template.dir);
    progress('checkpoint', `populating directories of ${sizes.join(', ')} runs (copies of a real 3-step run)`);
    for (const [n, dir] of dirs) populate(dir.dir, join(template.dir, 'template'), n);

    const meta = { workflow: record.workflow, input: record.input, budget: record.budget, seed: record.seed, createdAt: record.createdAt };
    const open = async (n: number) => {
      const dir = dirs.get(n)?.dir ?? '';
      const session = await new FileStore({ dir }).create({ ...meta, runId: 'live-run' });
      sessions.push(session);
      let tick = 0;
      // A slight change per checkpoint, as a step's progress makes: one timeline entry, the active time moves on.
      return async () => {
        tick++;
        const checkpoint: Checkpoint = { status: 'running', snapshot: record.snapshot, flags: [], usage: record.usage, activeMs: tick, wakeAt: null };
        await session.commit(checkpoint, [{ at: new Date().toISOString(), actor: 'root', event: `bench.${tick}`, state: ['asking'] }]);
      };
    };
    const commits = { few: await open(100), many: await open(many) };
    const lists = { at100: () => new FileStore({ dir: dirs.get(100)?.dir ?? '' }).list(), at1000: () => new FileStore({ dir: dirs.get(1_000)?.dir ?? '' }).list() };
    const saves = quick ? 150 : 500;
    const listRounds = quick ? 3 : 7;
    progress('checkpoint', `3 repetitions: ${saves} commits in each directory alternating; ${listRounds} list() of 100 and 1,000 runs alternating`);
    await interleave(50, commits);
    await interleave(1, lists);
    const commitRatio: number[] = [];
    const commitFew: number[] = [];
    const commitMany: number[] = [];
    const listRatio: number[] = [];
    const list100: number[] = [];
    const list1000: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const c = await interleave(saves, commits);
      commitFew.push(median(c.few));
      commitMany.push(median(c.many));
      commitRatio.push(median(c.many) / median(c.few));
      const l = await interleave(listRounds, lists);
      list100.push(median(l.at100));
      list1000.push(median(l.at1000));
      listRatio.push(median(l.at1000) / 1_000 / (median(l.at100) / 100));
    }
    const listed = (await lists.at1000()).runs.length;
    if (listed < 1_000) throw new Error(`list() found ${listed} of 1,000 runs`);
    return {
      figures: {
        checkpointGrowth: figure(commitRatio, {
          unit: 'ratio',
          goal: { op: '<=', target: 1.2 },
          measure: `session.commit() with ${many} vs 100 runs in the directory, medians`,
          baselines: commitFew,
          candidates: commitMany,
        }),
        listMs: figure(list1000, { unit: 'ms', goal: null, measure: 'FileStore.list() of 1,000 runs (baseline: of 100 runs), median', baselines: list100, candidates: list1000 }),
        listGrowth: figure(listRatio, { unit: 'ratio', goal: { op: '<=', target: 1.2 }, measure: 'list() time per run at 1,000 runs over per run at 100 runs' }),
      },
      notes: [
        `checkpointGrowth / listGrowth: filler runs are copies of a real 3-step chain run (${readdirSync(join(template.dir, 'template')).join(', ')}); ` +
          `the live run commits its checkpoint with one new timeline entry each time.`,
      ],
    };
  } finally {
    for (const session of sessions) await session.close();
    template.remove();
    for (const dir of dirs.values()) dir.remove();
  }
}
