// The BullMQ queue worker against real Redis and PostgreSQL: submit → done, a deadline through a delayed job, refusals.
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectStore, type UrlStore } from '../../src/cli/store-url.ts';
import { loadWorkflow } from '../../src/runtime/index.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { buildVersion } from '../../src/versions/index.ts';
import { startSimulator, type Simulator, type SimRequest } from '../../src/testing/index.ts';
import { jobIdOf, parseQueueUrl, RunQueue, startQueueWorker, type QueueWorker, type QueueWorkerEvent, type QueueWorkerOptions } from '../../src/worker/queue/index.ts';
import { connectionOf, jobOptions, queueName } from '../../src/worker/queue/queue.ts';
import { inProcess, type Env } from '../cli/harness.ts';
import { dropSchema, freshSchema, localPostgresUrl, postgresMissing, sql } from '../helpers/postgres.ts';
import { dropPrefix, freshPrefix, localRedisUrl, queueUrl, redisMissing } from '../helpers/redis.ts';
import { expiringModule, removeTempDirs, repoRoot, stepsModule, tempDir, until } from './helpers.ts';
import { queueOrder, recordQueue } from './queue-order.ts';

/** The journal's `requestHash` (src/steps/model-call.ts), recomputed from a request as the simulator received it. */
const wireHash = (req: SimRequest) => createHash('sha256').update(JSON.stringify([req.model, req.messages])).digest('hex').slice(0, 16);

const missing = [await postgresMissing(), await redisMissing()].filter((m): m is string => m !== null);
// Without the servers these tests cannot say anything; in CI that is a failure, not a skip.
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.log(`queue worker tests skipped: ${missing.join('; ')} (${localPostgresUrl}, ${localRedisUrl}); CI is not set`);

const fixture = 'test/worker/fixtures/steps.workflow.ts';
const savedHost = process.env.OLLAMA_HOST;
let sim: Simulator;
const requests: SimRequest[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  if (skip) return;
  sim = await startSimulator({
    script: {
      '*': (req) => {
        requests.push(req);
        return JSON.stringify({ answer: `re ${req.messages.at(-1)?.content ?? ''}` });
      },
    },
  });
  process.env.OLLAMA_HOST = sim.url;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  removeTempDirs();
  await sim?.close();
  if (savedHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = savedHost;
});

/** A fresh schema and key prefix, a store and queue on them, and a worker; all removed after the test. */
async function setup(options: Pick<QueueWorkerOptions, 'sweepMs' | 'concurrency' | 'refusalRetryMs'> = {}) {
  const schema = freshSchema();
  const prefix = freshPrefix();
  const storeUrl = `${localPostgresUrl}${localPostgresUrl.includes('?') ? '&' : '?'}schema=${schema}`;
  const qUrl = queueUrl(prefix);
  const target = parseQueueUrl(qUrl);
  if (!target) throw new Error(`bad queue url ${qUrl}`);
  const store: UrlStore = await connectStore(storeUrl, { leaseMs: 2_000 });
  const queue = await RunQueue.connect(target);
  const events: QueueWorkerEvent[] = [];
  const workers: QueueWorker[] = [];
  const startWorker = () => {
    const worker = startQueueWorker({ store, queue: target, lockMs: 2_000, cwd: repoRoot, ...options, sweepMs: options.sweepMs ?? 0, onEvent: (e) => events.push(e) });
    workers.push(worker);
    return worker;
  };
  cleanups.push(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await queue.close();
    await store.end();
    await dropPrefix(prefix);
    await dropSchema(localPostgresUrl, schema);
  });
  return { store, queue, target, events, startWorker, storeUrl, qUrl, schema };
}

const finished = (store: UrlStore, runId: string, ms = 20_000) =>
  until(async () => {
    const record = await store.read(runId);
    return ['done', 'failed', 'flagged', 'cancelled'].includes(record.status) ? record : undefined;
  }, ms);

describe.skipIf(skip)('queue worker (BullMQ + PostgreSQL)', { timeout: 60_000 }, () => {
  it('harness submit --queue creates the run and queues it; a queue worker drives it to done, each call paid once', async () => {
    const { store, events, startWorker, storeUrl, qUrl } = await setup();
    const env: Env = { ollamaHost: sim.url, snapshots: '/nonexistent-snapshots' };
    const submitted = await inProcess(['submit', fixture, '--input', '{"question":"q1"}', '--run-id', '123', '--store', storeUrl, '--queue', qUrl], env);
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout).toBe('123\n'); // an integer run id: BullMQ refuses integer job ids, ours is `run.123`
    expect((await store.read('123')).status).toBe('running');
    const before = requests.length;
    startWorker();
    const record = await finished(store, '123');
    expect(record.status).toBe('done');
    expect(record.journal).toHaveLength(2);
    const paid = requests.slice(before).map(wireHash);
    expect(paid.sort()).toEqual(record.journal.map((e) => e.requestHash).sort());
    await until(() => (events.some((e) => e.type === 'leave' && e.runId === '123' && e.status === 'done') ? true : undefined));
  });

  it('a waiting run wakes at its deadline through a delayed job (no sweep, no polling)', async () => {
    const { store, queue, events, startWorker } = await setup({ sweepMs: 0 });
    startWorker();
    const { workflow, modulePath } = await loadWorkflow(expiringModule);
    // Submitted after the worker's start-up sweep: only the job makes the worker see it.
    const id = await submitRun({ store, workflow, modulePath, input: {}, runId: 'expiring-1', cwd: repoRoot });
    await queue.enqueue(id, { fresh: true });
    const waiting = await until(() => events.find((e) => e.type === 'leave' && e.runId === id && e.status === 'waiting'));
    const wakeAt = waiting.type === 'leave' ? waiting.wakeAt : null;
    expect(wakeAt).toBeGreaterThan(Date.now() - 1_000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'later', runId: id, at: wakeAt }));
    const job = await queue.queue.getJob(jobIdOf(id));
    // Delayed until its deadline; on a busy machine the deadline may already have come by the time it is read.
    const state = await job?.getState();
    if (state !== 'delayed') expect(Date.now()).toBeGreaterThanOrEqual(wakeAt ?? Infinity);
    const record = await finished(store, id);
    expect(record.status).toBe('done');
    expect(record.snapshot?.['value']).toBe('expired');
    expect(Date.parse(record.updatedAt)).toBeGreaterThanOrEqual(wakeAt ?? Infinity);
  });

  it('a run whose version fails to load is noted blocked and tried again; once it loads, the same worker drives it and new runs of it', async () => {
    const { store, queue, events, startWorker, storeUrl } = await setup({ refusalRetryMs: 200 });
    const file = join(tempDir(), 'flaky.workflow.ts');
    // The stored version fails while it is evaluated until the worker's environment has the setting it needs.
    writeFileSync(file, `if (!process.env.FLAKY_TOKEN) throw new Error('FLAKY_TOKEN is not set');\nexport { default } from ${JSON.stringify(stepsModule)};\n`);
    const steps = await loadWorkflow(stepsModule);
    // Built and stored as `harness submit` does in its own process, never evaluated in this one.
    const flaky = await submitRun({ store, workflow: steps.workflow, modulePath: file, version: await buildVersion(file), input: { question: 'flaky' }, runId: 'flaky-1', cwd: repoRoot });
    const good = await submitRun({ store, ...steps, input: { question: 'fine' }, runId: 'good-1', cwd: repoRoot });
    await queue.enqueue(flaky, { fresh: true });
    await queue.enqueue(good, { fresh: true });
    startWorker();
    expect((await finished(store, good)).status).toBe('done');
    const refused = await until(() => events.find((e) => e.type === 'refuse' && e.runId === flaky));
    expect(refused).toMatchObject({ code: 'WORKFLOW_LOAD', message: expect.stringContaining('FLAKY_TOKEN is not set') });
    // Left as it was but for the note, which ls and show print; its job waits for the next try, not failed and kept.
    const blocked = await until(async () => (await store.read(flaky)).blocked);
    expect(blocked).toMatchObject({ code: 'WORKFLOW_LOAD', reason: expect.stringContaining('FLAKY_TOKEN is not set') });
    expect((await store.read(flaky)).status).toBe('running');
    expect(await (await queue.queue.getJob(jobIdOf(flaky)))?.getState()).toMatch(/^(delayed|waiting|active)$/);
    const env: Env = { ollamaHost: sim.url, snapshots: '/nonexistent-snapshots' };
    const ls = await inProcess(['ls', '--store', storeUrl], env);
    expect(ls.stdout).toMatch(/^flaky-1 .*\bblocked\b/m);
    const show = await inProcess(['show', flaky, '--store', storeUrl], env);
    expect(show.stdout).toMatch(/blocked +WORKFLOW_LOAD .*FLAKY_TOKEN is not set/);

    process.env.FLAKY_TOKEN = 'set';
    try {
      const record = await finished(store, flaky);
      expect(record.status).toBe('done');
      expect(record.blocked).toBeUndefined();
      // A run submitted now on the same version loads in the same worker process: the failure was not kept.
      const again = await submitRun({ store, workflow: steps.workflow, modulePath: file, input: { question: 'again' }, runId: 'flaky-2', cwd: repoRoot });
      await queue.enqueue(again, { fresh: true });
      expect((await finished(store, again)).status).toBe('done');
      expect(events.filter((e) => e.type === 'refuse' && e.runId === again)).toEqual([]);
    } finally {
      delete process.env.FLAKY_TOKEN;
    }
  });

  it('a job that failed never blocks a later offer of its run: ended jobs are not kept', async () => {
    const { queue, target } = await setup();
    // A failure as BullMQ records it (a drive that threw, a job stalled too often), with the options every job gets.
    await queue.queue.add('drive', { runId: 'crashed-1' }, jobOptions('crashed-1', { fresh: true }));
    const failing = new Worker(queueName, async () => {
      throw new Error('drive crashed');
    }, { connection: connectionOf(target), prefix: target.prefix });
    await until(async () => ((await queue.queue.getJob(jobIdOf('crashed-1'))) === undefined ? true : undefined));
    await failing.close();
    await queue.enqueue('crashed-1', { fresh: false }); // the sweep's offer
    expect(await (await queue.queue.getJob(jobIdOf('crashed-1')))?.getState()).toBe('waiting');
  });

  it('a wake-up and a run put off (held by another driver) are driven before a backlog of fresh runs', async () => {
    const slow = await startSimulator({ latency: { ttftMs: 80 }, script: { '*': () => JSON.stringify({ answer: 'slow' }) } });
    process.env.OLLAMA_HOST = slow.url;
    cleanups.push(async () => {
      process.env.OLLAMA_HOST = sim.url;
      await slow.close();
    });
    const { store, queue, target, events, startWorker } = await setup({ concurrency: 1 });
    const log = await recordQueue(target);
    cleanups.push(() => log.close());
    const steps = await loadWorkflow(stepsModule);
    const expiring = await loadWorkflow(expiringModule);
    // First in line: a run that waits 300 ms for a sign-off (its wake-up is a delayed job), and one another driver holds.
    const waker = await submitRun({ store, ...expiring, input: {}, runId: 'waker', cwd: repoRoot });
    const held = await submitRun({ store, ...steps, input: { question: 'held' }, runId: 'held', cwd: repoRoot });
    const holder = await store.open(held);
    const backlog: string[] = [];
    for (const id of [waker, held]) await queue.enqueue(id, { fresh: true });
    for (let i = 0; i < 24; i++) {
      backlog.push(await submitRun({ store, ...steps, input: { question: `fresh ${i}` }, runId: `fresh-${i}`, cwd: repoRoot }));
      await queue.enqueue(`fresh-${i}`, { fresh: true });
    }
    startWorker();
    await until(() => events.find((e) => e.type === 'later' && e.runId === held && e.why === 'held by another driver'));
    await holder.close();
    await Promise.all([waker, held, ...backlog].map((id) => finished(store, id, 60_000)));

    // Each fresh run takes two calls of at least 80 ms, one at a time: when the wake-up fell due and the holder let
    // go, most of the backlog was still queued. Both went ahead of it, as BullMQ's own log shows.
    const takes = events.filter((e) => e.type === 'take').map((e) => e.runId);
    const lastTake = (id: string) => takes.lastIndexOf(id);
    for (const id of [waker, held]) expect(backlog.filter((f) => takes.indexOf(f) > lastTake(id)).length, id).toBeGreaterThan(12);
    const order = queueOrder(log.events);
    expect(order.inversions).toEqual([]);
    expect(order.underWay).toBeGreaterThanOrEqual(2); // the wake-up and the put-off run, at least
  });

  it('a worker whose run was taken from it (lease lapsed, still alive) is refused by the store: FENCED, it stops', async () => {
    const slow = await startSimulator({ latency: { ttftMs: 1_500 }, script: { '*': () => JSON.stringify({ answer: 'slow' }) } });
    process.env.OLLAMA_HOST = slow.url;
    cleanups.push(async () => {
      process.env.OLLAMA_HOST = sim.url;
      await slow.close();
    });
    const { store, queue, events, startWorker, schema } = await setup();
    const steps = await loadWorkflow(stepsModule);
    const id = await submitRun({ store, ...steps, input: { question: 'stale' }, runId: 'stale-1', cwd: repoRoot });
    await queue.enqueue(id, { fresh: true });
    startWorker();
    await until(() => events.find((e) => e.type === 'take' && e.runId === id));
    // As if the worker had stalled past its lease (a long pause, a partition): the lease lapses and another takes it.
    await sql(localPostgresUrl, `UPDATE "${schema}".runs SET holder = NULL, held_until = NULL WHERE run_id = $1`, [id]);
    const thief = await store.open(id);
    await until(() => events.find((e) => e.type === 'fenced' && e.runId === id), 10_000);
    const record = await store.read(id);
    expect(record.epoch).toBe(thief.epoch);
    expect(record.journal).toEqual([]); // the stale worker's reply, paid, was not written over the new holder
    expect(events.filter((e) => e.type === 'leave' && e.runId === id)).toEqual([]);
    await thief.close();
    await queue.enqueue(id, { fresh: false }); // the run is resumable: handed to the queue again, a worker finishes it
    expect((await finished(store, id)).status).toBe('done');
  });

  it('a stopped worker (SIGTERM) hands its run back to the queue; another worker finishes it', async () => {
    const slow = await startSimulator({ latency: { ttftMs: 800 }, script: { '*': () => JSON.stringify({ answer: 'slow' }) } });
    process.env.OLLAMA_HOST = slow.url;
    cleanups.push(async () => {
      process.env.OLLAMA_HOST = sim.url;
      await slow.close();
    });
    const { store, queue, events, startWorker } = await setup();
    const steps = await loadWorkflow(stepsModule);
    const id = await submitRun({ store, ...steps, input: { question: 'handed' }, runId: 'handed-1', cwd: repoRoot });
    await queue.enqueue(id, { fresh: true });
    const first = startWorker();
    await until(() => events.find((e) => e.type === 'take' && e.runId === id));
    await first.stop();
    expect(events).toContainEqual({ type: 'leave', runId: id, status: 'running', wakeAt: null });
    expect(events).toContainEqual(expect.objectContaining({ type: 'later', runId: id, why: 'handed back' }));
    expect(['delayed', 'waiting']).toContain(await (await queue.queue.getJob(jobIdOf(id)))?.getState());
    startWorker();
    expect((await finished(store, id)).status).toBe('done');
  });

  it('a run store or queue out of reach at start: one line naming the URL, password masked, exit 2', async () => {
    const { storeUrl, qUrl } = await setup();
    const env: Env = { ollamaHost: sim.url, snapshots: '/nonexistent-snapshots' };
    const deadPg = 'postgres://postgres:hunter2@127.0.0.1:1/test';
    const deadRedis = 'redis://:hunter2@127.0.0.1:1';
    for (const args of [
      ['worker', '--store', deadPg, '--queue', qUrl],
      ['worker', '--store', storeUrl, '--queue', deadRedis],
      ['submit', fixture, '--input', '{"question":"q"}', '--store', storeUrl, '--queue', deadRedis],
    ]) {
      const result = await inProcess(args, env);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/(PostgreSQL run store|Redis queue) at (postgres|redis):\/\/[^ ]*\*\*\*@127\.0\.0\.1:1\b.* is unavailable/);
      expect(result.stderr).not.toContain('hunter2');
    }
    const queueWithoutStore = await inProcess(['worker', '--queue', qUrl], env);
    expect(queueWithoutStore.code).toBe(2);
    expect(queueWithoutStore.stderr).toMatch(/needs a run store/);
  });
});
