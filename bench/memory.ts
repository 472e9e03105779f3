// memoryPerRunKiB: heap held per run in flight, 10,000 runs in one process against a MemoryStore, each blocked inside
// its model step's call (a host limiter of 1 slot, whose one call hangs on the simulator), beside the same process
// before they started.
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { MemoryStore, type RunRecord } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { chainWorkflow } from './chain.ts';
import { collectGarbage, pause, progress, type BenchOptions } from './env.ts';
import { figure, mib, type BenchResult } from './report.ts';

async function reading(): Promise<{ rss: number; heapUsed: number }> {
  await collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const runs = quick ? 1_000 : 10_000;
  // The one call that gets the slot hangs until it is aborted; every other run waits in the limiter for that slot.
  const sim = await startSimulator({ seed: 6, script: { '*': () => ({ content: '', fault: 'hang' }) } });
  try {
    const workflow = chainWorkflow(sim.url, 10 * 60_000);
    const gcExposed = await collectGarbage();
    // An abort signal stops a run gracefully (its call in flight finishes first), and the held call never does:
    // runs are ended with cancel requests instead, which stop them at once.
    const start = async (store: MemoryStore, limiter: HostPool, count: number, prefix: string) => {
      const running = new Set<string>();
      const finished: Promise<RunRecord>[] = [];
      // One listener for every run: a closure made per run would be the bench's own heap, counted as the harness's.
      const onCheckpoint = (record: RunRecord) => {
        if (record.status === 'running') running.add(record.runId);
      };
      for (let i = 0; i < count; i++) {
        finished.push(
          runWorkflow({
            store,
            workflow,
            modulePath: chainModule,
            input: { question: `Question number ${i}?`, steps: 1 },
            limiter,
            runId: `${prefix}-${String(i).padStart(5, '0')}`,
            onCheckpoint,
          }),
        );
        if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve)); // let their first checkpoints go out
      }
      while (running.size < count) await pause(20);
      const cancelAll = async () => {
        for (const runId of running) await store.requestCancel(runId);
        return Promise.all(finished);
      };
      return cancelAll;
    };
    // Warm every code path first (a few runs started and stopped), so the baseline holds the loaded modules.
    {
      const cancelAll = await start(new MemoryStore(), new HostPool(1), 20, 'warm');
      await cancelAll();
    }
    const perRun: number[] = [];
    const rssPerRun: number[] = [];
    const befores: number[] = [];
    const afters: number[] = [];
    const notes: string[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const before = await reading();
      const started = performance.now();
      let store: MemoryStore | null = new MemoryStore();
      let cancelAll: (() => Promise<RunRecord[]>) | null = await start(store, new HostPool(1), runs, `run${rep}`);
      const startSeconds = (performance.now() - started) / 1000;
      await pause(200);
      const after = await reading();
      perRun.push((after.heapUsed - before.heapUsed) / runs / 1024);
      rssPerRun.push((after.rss - before.rss) / runs / 1024);
      befores.push(before.heapUsed / 2 ** 20);
      afters.push(after.heapUsed / 2 ** 20);
      const stopFrom = performance.now();
      const records = await cancelAll();
      const stopped = records.filter((r) => r.status === 'cancelled').length;
      progress('memory', `repetition ${rep + 1}: ${runs} runs in flight after ${startSeconds.toFixed(1)} s, heap +${mib(after.heapUsed - before.heapUsed)}; ${stopped} cancelled in ${((performance.now() - stopFrom) / 1000).toFixed(1)} s`);
      if (rep === 0) notes.push(`memoryPerRunKiB: ${runs} runs started in ${startSeconds.toFixed(1)} s; readings after ${gcExposed ? 'full GCs (--expose-gc)' : 'no forced GC'}; ${stopped}/${runs} ended 'cancelled' on a cancel request each.`);
      store = null; // dropped before the next repetition's baseline
      cancelAll = null;
    }
    return {
      figures: {
        memoryPerRunKiB: figure(perRun, {
          unit: 'KiB',
          goal: { op: '<=', target: 16 },
          measure: `(heapUsed with ${runs} runs in flight − before) / ${runs}, MemoryStore, each run blocked in its model call`,
          baselines: befores.map((b) => b * 1024),
          candidates: afters.map((a) => a * 1024),
        }),
        memoryRssPerRunKiB: figure(rssPerRun, { unit: 'KiB', goal: null, measure: `the same in RSS` }),
      },
      notes: [...notes, `memoryPerRunKiB: baseline and candidate columns are the heap used before and with the runs in flight, in KiB.`],
    };
  } finally {
    await sim.close();
  }
}
