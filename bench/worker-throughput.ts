// workerThroughput: runs/s of a one-step workflow driven by 1, 2 and 4 `harness worker --queue` processes (BullMQ +
// PostgreSQL, zero-latency simulator), beside BullMQ's empty-job rate on the same Redis.
import { Queue, Worker } from 'bullmq';
import { startSimulator } from '../src/testing/index.ts';
import { jobOptions } from '../src/worker/queue/queue.ts';
import { progress, type BenchOptions } from './env.ts';
import { dropPrefix, fresh, redisUrl, scratch, startWorkerProc, stopAll } from './queue-procs.ts';
import { figure, type BenchResult } from './report.ts';
import { median } from './stats.ts';

/** Runs/s of `workers` worker processes draining `runs` submitted runs (timed from the enqueue to the last `done`). */
async function throughput(workers: number, runs: number, ollamaHost: string): Promise<number> {
  const s = await scratch();
  const procs = Array.from({ length: workers }, () => startWorkerProc(s.storeUrl, s.queueUrl, ollamaHost, ['--concurrency', '4']));
  try {
    await Promise.all(procs.map((p) => p.ready));
    let done = 0;
    let target = 0;
    let reached: () => void = () => undefined;
    for (const p of procs) p.onLine((line) => {
      if (/^leave +\S+ done/.test(line) && ++done === target) reached();
    });
    /** Creates `count` runs, then queues them all at once and waits for the last `done`: runs/s from the enqueue. */
    const batch = async (label: string, count: number): Promise<number> => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(await s.submit(`${label}-${i}`));
      target = done + count;
      const finished = new Promise<void>((resolve) => (reached = resolve));
      const started = performance.now();
      await s.queue.queue.addBulk(ids.map((runId) => ({ name: 'drive', data: { runId }, opts: jobOptions(runId, { fresh: true }) })));
      await finished;
      return count / ((performance.now() - started) / 1000);
    };
    await batch('warm', workers * 8); // each process loads the workflow module and warms up before the timed batch
    return await batch('tp', runs);
  } finally {
    await stopAll(procs);
    await s.remove();
  }
}

/** BullMQ alone: empty jobs through one Worker (concurrency 4) on the same Redis, jobs/s. */
async function bullmqEmpty(jobs: number): Promise<number> {
  const prefix = fresh();
  const connection = { url: redisUrl, maxRetriesPerRequest: null };
  const queue = new Queue('empty', { connection, prefix });
  await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'empty', data: { i }, opts: { removeOnComplete: true } })));
  let done = 0;
  const started = performance.now();
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker('empty', async () => undefined, { connection, prefix, concurrency: 4 });
    worker.on('completed', () => {
      if (++done === jobs) void worker.close().then(resolve);
    });
  });
  await finished;
  const rate = jobs / ((performance.now() - started) / 1000);
  await queue.close();
  await dropPrefix(prefix);
  return rate;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const runs = quick ? 40 : 200;
  const reps = quick ? 1 : 3;
  const sim = await startSimulator({ seed: 5, numParallel: 16, script: { '*': () => JSON.stringify({ answer: 'ok' }) } });
  try {
    const figures: BenchResult['figures'] = {};
    const rates: Record<number, number[]> = {};
    for (const workers of [1, 2, 4]) {
      rates[workers] = [];
      for (let rep = 0; rep < reps; rep++) {
        progress('worker-throughput', `${workers} worker(s), ${runs} one-step runs (rep ${rep + 1}/${reps})`);
        rates[workers]?.push(await throughput(workers, runs, sim.url));
      }
    }
    progress('worker-throughput', 'BullMQ alone: empty jobs');
    const empties: number[] = [];
    for (let rep = 0; rep < reps; rep++) empties.push(await bullmqEmpty(quick ? 2_000 : 10_000));
    const empty = median(empties);
    for (const workers of [1, 2, 4]) {
      const values = rates[workers] ?? [];
      figures[`workerThroughput${workers}`] = figure(values, {
        unit: 'runs/s',
        goal: null,
        measure: `one-step runs/s, ${workers} worker process(es) × concurrency 4 (BullMQ + PostgreSQL), vs BullMQ empty jobs/s`,
        baselines: empties,
        candidates: values,
      });
    }
    figures.bullmqEmptyJobs = figure(empties, { unit: 'jobs/s', goal: null, measure: 'BullMQ alone: empty jobs/s, one Worker × concurrency 4, same Redis' });
    return {
      figures,
      notes: [
        `worker-throughput: ${runs} runs per measurement; ${reps} repetition(s); BullMQ empty-job median ${empty.toFixed(0)} jobs/s on ${redisUrl}.`,
        `worker-throughput: each run is created in PostgreSQL, then driven (open with lease, 1 model call, checkpoints, close); ${process.env.CI ? 'CI' : 'local'} machine with ${(await import('node:os')).availableParallelism()} cores.`,
      ],
    };
  } finally {
    await sim.close();
  }
}
