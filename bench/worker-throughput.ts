// workerThroughput: runs/s of a one-step workflow driven by 1, 2 and 4 `harness worker --queue` processes (BullMQ +
// PostgreSQL, zero-latency simulator), beside BullMQ's empty-job rate on the same Redis; takeoverMs: SIGKILL → driven again.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { setup } from 'xstate';
import { z } from 'zod';
import { connectStore, type UrlStore } from '../src/cli/store-url.ts';
import { submitRun } from '../src/runtime/runs.ts';
import { defineWorkflow, modelStep, stepGuards } from '../src/steps/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { parseQueueUrl, RunQueue } from '../src/worker/queue/index.ts';
import { jobOptions } from '../src/worker/queue/queue.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { median } from './stats.ts';

/** This module is also the benchmark's workflow: one model step, then done (workers load it by path). */
const thisModule = fileURLToPath(import.meta.url);
const root = dirname(dirname(thisModule));

const ask = modelStep({
  id: 'ask',
  prompt: (input: { question: string }) => [{ role: 'user', content: input.question }],
  schema: z.object({ answer: z.string().min(1) }),
  ladder: ['qwen2.5-coder:7b'],
  maxRetries: 0,
});

const oneStep = defineWorkflow({
  id: 'one-step',
  input: z.object({ question: z.string().min(1) }),
  machine: setup({ types: { input: {} as { question: string } }, actors: { ask }, guards: stepGuards }).createMachine({
    id: 'one-step',
    initial: 'ask',
    context: ({ input }) => ({ question: input.question }),
    states: {
      ask: { invoke: { src: 'ask', input: ({ context }) => ({ question: context.question }), onDone: 'done', onError: 'done' } },
      done: { type: 'final' },
    },
  }),
});
export default oneStep;

const pgUrl = process.env.HARNESS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.HARNESS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const fresh = () => `harness_bench_${randomBytes(5).toString('hex')}`;
const withParam = (url: string, key: string, value: string) => {
  const parsed = new URL(url);
  parsed.searchParams.set(key, value);
  return parsed.toString();
};

interface WorkerProc {
  child: ChildProcess;
  /** Resolves once the worker has connected and said so on stderr. */
  ready: Promise<void>;
  /** Calls `listener` with each stdout line. */
  onLine(listener: (line: string) => void): void;
}

function startWorkerProc(storeUrl: string, queueUrl: string, ollamaHost: string, extra: string[] = []): WorkerProc {
  const args = ['bin/harness.js', 'worker', '--store', storeUrl, '--queue', queueUrl, '--sweep-ms', '0', ...extra];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, OLLAMA_HOST: ollamaHost, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const listeners: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (/^worker \d+ on /m.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready: ${stderr}`)));
  });
  return { child, ready, onLine: (listener) => listeners.push(listener) };
}

async function stopAll(procs: WorkerProc[], signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  await Promise.all(
    procs.map(({ child }) =>
      child.exitCode !== null || child.signalCode !== null ? undefined : new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    ),
  );
}

/** A store schema and queue prefix of their own, dropped afterwards. */
async function scratch(): Promise<{ store: UrlStore; storeUrl: string; queueUrl: string; queue: RunQueue; remove(): Promise<void> }> {
  const schema = fresh();
  const prefix = fresh();
  const storeUrl = withParam(pgUrl, 'schema', schema);
  const queueUrl = withParam(redisUrl, 'prefix', prefix);
  const store = await connectStore(storeUrl);
  const target = parseQueueUrl(queueUrl);
  if (!target) throw new Error(`bad queue url ${queueUrl}`);
  const queue = await RunQueue.connect(target);
  return {
    store,
    storeUrl,
    queueUrl,
    queue,
    async remove() {
      await queue.close();
      await store.end();
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      await dropPrefix(prefix);
    },
  };
}

async function dropPrefix(prefix: string): Promise<void> {
  const client = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

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
      for (let i = 0; i < count; i++) ids.push(await submitRun({ store: s.store, workflow: oneStep, modulePath: thisModule, input: { question: `${label}${i}` }, runId: `${label}-${i}`, cwd: root }));
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

/** SIGKILL of the worker driving a run (mid-call, on a slow simulator) → the other worker's `take` of it, ms. */
async function takeover(ollamaHost: string, takeoverMs: number): Promise<number> {
  const s = await scratch();
  const procs = [0, 1].map(() => startWorkerProc(s.storeUrl, s.queueUrl, ollamaHost, ['--takeover-ms', String(takeoverMs)]));
  try {
    await Promise.all(procs.map((p) => p.ready));
    const runId = await submitRun({ store: s.store, workflow: oneStep, modulePath: thisModule, input: { question: 'slow' }, runId: 'takeover', cwd: root });
    let holder = -1;
    let killedAt = 0;
    const retaken = new Promise<number>((resolve) => {
      procs.forEach((p, i) =>
        p.onLine((line) => {
          if (!/^take +takeover$/.test(line)) return;
          if (holder === -1) {
            holder = i;
            killedAt = performance.now();
            p.child.kill('SIGKILL');
          } else if (i !== holder) resolve(performance.now() - killedAt);
        }),
      );
    });
    await s.queue.enqueue(runId, { fresh: true });
    return await retaken;
  } finally {
    await stopAll(procs, 'SIGKILL'); // the survivor is mid-call on the slow simulator: no graceful wait
    await s.remove();
  }
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const runs = quick ? 40 : 200;
  const reps = quick ? 1 : 3;
  const sim = await startSimulator({ seed: 5, numParallel: 16, script: { '*': () => JSON.stringify({ answer: 'ok' }) } });
  const slow = await startSimulator({ seed: 5, latency: { ttftMs: 60_000 }, script: { '*': () => JSON.stringify({ answer: 'ok' }) } });
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
    const takeoverKnob = 2_000;
    const takeovers: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      progress('worker-throughput', `takeover ${rep + 1}/3 (--takeover-ms ${takeoverKnob})`);
      takeovers.push(await takeover(slow.url, takeoverKnob));
    }
    figures.takeoverMs = figure(takeovers, { unit: 'ms', goal: { op: '<=', target: 1.5 * takeoverKnob + 1_000 }, measure: `SIGKILL of the driving worker → another worker drives the run (--takeover-ms ${takeoverKnob})` });
    return {
      figures,
      notes: [
        `worker-throughput: ${runs} runs per measurement; ${quick ? 1 : 3} repetition(s); BullMQ empty-job median ${empty.toFixed(0)} jobs/s on ${redisUrl}.`,
        `worker-throughput: each run is created in PostgreSQL, then driven (open with lease, 1 model call, checkpoints, close); ${process.env.CI ? 'CI' : 'local'} machine with ${(await import('node:os')).availableParallelism()} cores.`,
        `takeoverMs: lock lapses within --takeover-ms, the stall check runs every half of it, then the store's lease must lapse too (default 30000 ⇒ ~30–45 s).`,
      ],
    };
  } finally {
    await sim.close();
    await slow.close();
  }
}
