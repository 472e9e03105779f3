// Benchmark 6: memory held by 10,000 runs in flight in one process (all queued on a host pool behind a hung call).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setMaxListeners } from 'node:events';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { FileStore, type RunRecord } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { collectGarbage, pause, progress, tempDir, type BenchOptions } from './env.ts';
import { mib, verdict, type BenchResult } from './report.ts';
import { oneStepWorkflow, workflowsModule } from './workflows.ts';

interface Reading {
  rss: number;
  heapUsed: number;
}

async function reading(): Promise<Reading> {
  await collectGarbage();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const runs = quick ? 1_000 : 10_000;
  // The one call that gets a slot hangs until it is aborted; every other run waits for the pool's single slot.
  const sim = await startSimulator({ seed: 6, script: { '*': () => ({ content: '', fault: 'hang' }) } });
  const scratch = tempDir('memory');
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every run listens to the one signal
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = oneStepWorkflow(sim.url, 10 * 60_000);
    const pool = new HostPool(1);
    const gcExposed = await collectGarbage();
    // Warm every code path first (one run started and stopped), so the baseline holds the loaded modules.
    const warm = new AbortController();
    const warmRun = runWorkflow({ store, workflow, modulePath: workflowsModule, input: { question: 'warm-up' }, pool, signal: warm.signal, runId: 'warm-up' });
    await pause(200);
    warm.abort();
    await warmRun;
    const before = await reading();

    progress('memory', `starting ${runs} runs (host pool of 1, the call in flight hangs)`);
    const running = new Set<string>();
    const started = performance.now();
    const finished: Promise<RunRecord>[] = [];
    for (let i = 0; i < runs; i++) {
      const runId = `run-${String(i).padStart(5, '0')}`;
      finished.push(
        runWorkflow({
          store,
          workflow,
          modulePath: workflowsModule,
          input: { question: `Question number ${i}?` },
          pool,
          signal: stop.signal,
          runId,
          onCheckpoint: (record) => {
            if (record.status === 'running') running.add(record.runId);
          },
        }),
      );
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve)); // let their first writes go out
    }
    while (running.size < runs) await pause(50);
    const startSeconds = (performance.now() - started) / 1000;

    // Every run file on disk says running (not merely the in-memory records).
    const files = readdirSync(scratch.dir).filter((f) => f.startsWith('run-') && f.endsWith('.json'));
    const notRunning = files.filter((f) => (JSON.parse(readFileSync(join(scratch.dir, f), 'utf8')) as RunRecord).status !== 'running');
    if (files.length !== runs || notRunning.length > 0) {
      throw new Error(`expected ${runs} run files with status running, found ${files.length} (${notRunning.length} not running)`);
    }
    await pause(500);
    const after = await reading();

    // What keeping them in flight costs when nothing happens: their timers (cancel polling, lock heartbeats).
    const cpuBefore = process.cpuUsage();
    const idleFrom = performance.now();
    await pause(2_000);
    const cpu = process.cpuUsage(cpuBefore);
    const idleCpu = (cpu.user + cpu.system) / 1000 / (performance.now() - idleFrom);

    progress('memory', `all ${runs} running after ${startSeconds.toFixed(1)} s; stopping them`);
    const stopFrom = performance.now();
    stop.abort();
    const records = await Promise.all(finished);
    const stopSeconds = (performance.now() - stopFrom) / 1000;
    const stopped = records.filter((r) => r.status === 'stopped').length;
    const rss = after.rss - before.rss;
    const heap = after.heapUsed - before.heapUsed;
    return {
      rows: [
        {
          id: '6 memory',
          measure: `RSS, ${runs} runs in flight vs the same process before`,
          baseline: mib(before.rss),
          candidate: mib(after.rss),
          result: `+${mib(rss)} (${kib(rss / runs)}/run)`,
          target: `< 1 GiB${quick ? ' at 10,000' : ''}`,
          verdict: verdict(quick ? (rss / runs) * 10_000 < 2 ** 30 : rss < 2 ** 30),
        },
        {
          id: '6 memory',
          measure: `heap used, ${runs} runs in flight (info)`,
          baseline: mib(before.heapUsed),
          candidate: mib(after.heapUsed),
          result: `+${mib(heap)} (${kib(heap / runs)}/run)`,
          target: 'info',
          verdict: 'info',
        },
        {
          id: '6 memory',
          measure: `CPU while ${runs} runs sit idle in flight (info)`,
          baseline: '-',
          candidate: `${(idleCpu * 100).toFixed(1)}% of a core`,
          result: '-',
          target: 'info',
          verdict: 'info',
        },
      ],
      notes: [
        `6 memory: ${runs} runs started in ${startSeconds.toFixed(1)} s; readings after ${gcExposed ? 'full GCs (--expose-gc)' : 'no forced GC'}; ` +
          `${stopped}/${runs} ended 'stopped' ${stopSeconds.toFixed(1)} s after one AbortController fired (each writes a final checkpoint).` +
          (quick ? ' Quick mode: the verdict extrapolates the per-run cost to 10,000 runs.' : ''),
      ],
    };
  } finally {
    stop.abort();
    await sim.close();
    scratch.remove();
  }
}
