// The embedded worker over a FileStore: submitted, waiting-with-deadline, orphaned and parked runs are driven to the end.
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadWorkflow } from '../../src/runtime/index.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { FileStore } from '../../src/store/index.ts';
import { buildVersion } from '../../src/versions/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { startWorker, type Worker } from '../../src/worker/index.ts';
import { countingSimulator, eventLog, expiringModule, removeTempDirs, repoRoot, stepsModule, submit, tempDir, tempStore, until, untilStatus } from './helpers.ts';

const savedHost = process.env.OLLAMA_HOST;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  process.env.OLLAMA_HOST = savedHost;
});
afterAll(removeTempDirs);

function track(worker: Worker): Worker {
  cleanup.push(() => worker.stop());
  return worker;
}
function trackSim(sim: Simulator): Simulator {
  cleanup.push(() => sim.close());
  return sim;
}

describe('startWorker', () => {
  it('drives a submitted run to done', async () => {
    const { sim, prompts } = await countingSimulator();
    trackSim(sim);
    process.env.OLLAMA_HOST = sim.url;
    const store = tempStore();
    await submit(store, stepsModule, { question: 'q1' }, 'sub-1');
    const log = eventLog();
    track(startWorker({ store, pollMs: 50, onEvent: log.onEvent }));
    const done = await untilStatus(store, 'sub-1', ['done', 'failed', 'flagged']);
    expect(done.status).toBe('done');
    expect(done.output).toEqual({ answers: ['re first: q1', 're second: q1'] });
    expect([...prompts.values()]).toEqual([1, 1]);
    await until(() => (log.events.some((e) => e.type === 'leave') ? true : undefined));
    expect(log.events).toEqual([
      { type: 'take', runId: 'sub-1', reason: 'submitted' },
      { type: 'leave', runId: 'sub-1', status: 'done', wakeAt: null },
    ]);
  });

  it('moves a waiting run on at its 300 ms deadline, with no person involved', async () => {
    const store = tempStore();
    await submit(store, expiringModule, {}, 'wait-1');
    const log = eventLog();
    track(startWorker({ store, pollMs: 5_000, onEvent: log.onEvent }));
    // First drive: the run reaches its wait and is left waiting with its deadline as wake-up time.
    const left = await until(() => log.events.find((e) => e.type === 'leave'));
    expect(left).toMatchObject({ status: 'waiting', wakeAt: expect.any(Number) });
    // The worker sleeps until the deadline (well under its 5 s poll) and takes the timeout's target.
    const done = await untilStatus(store, 'wait-1', ['done'], 4_000);
    expect(done.snapshot?.value).toBe('expired');
    expect(log.events.filter((e) => e.type === 'take').map((e) => e.type === 'take' && e.reason)).toEqual(['submitted', 'deadline']);
  });

  it('takes over a run whose driver was SIGKILLed, replaying the call it had paid for', async () => {
    const { sim, prompts } = await countingSimulator();
    trackSim(sim);
    process.env.OLLAMA_HOST = sim.url;
    const dir = tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/worker/drive-child.ts'), dir, 'orphan-1', stepsModule, '{"question":"q"}'], {
      cwd: repoRoot,
      env: { ...process.env, OLLAMA_HOST: sim.url },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = await new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    expect(exit, stderr).toBe('SIGKILL');

    const store = new FileStore({ dir, lockStaleMs: 500 });
    expect((await store.read('orphan-1')).status).toBe('running'); // its driver died holding it
    const log = eventLog();
    track(startWorker({ store, pollMs: 50, onEvent: log.onEvent }));
    const done = await untilStatus(store, 'orphan-1', ['done', 'failed', 'flagged']);
    expect(done.status).toBe('done');
    expect(log.events[0]).toEqual({ type: 'take', runId: 'orphan-1', reason: 'orphaned' });
    // The first call was paid by the dead driver and replayed from the journal: each prompt was asked once.
    expect(Object.fromEntries(prompts)).toEqual({ 'first: q': 1, 'second: q': 1 });
    expect(done.journal).toHaveLength(2);
  });

  it('finishes a parked run at its retry time once the host is back', async () => {
    const probe = await startSimulator();
    const { port } = probe;
    await probe.close();
    process.env.OLLAMA_HOST = `http://127.0.0.1:${port}`;
    const store = tempStore();
    await submit(store, stepsModule, { question: 'p' }, 'park-1');
    const log = eventLog();
    track(startWorker({ store, pollMs: 10_000, outage: { parkAfterMs: 200, retryParkedMs: 800 }, onEvent: log.onEvent }));
    const parked = await until(() => log.events.find((e) => e.type === 'leave'));
    expect(parked).toMatchObject({ status: 'parked', wakeAt: expect.any(Number) });
    expect((await store.read('park-1')).status).toBe('parked');
    const { sim, prompts } = await countingSimulator({ port });
    trackSim(sim);
    const done = await untilStatus(store, 'park-1', ['done', 'failed', 'flagged'], 8_000);
    expect(done.status).toBe('done');
    expect(Object.fromEntries(prompts)).toEqual({ 'first: p': 1, 'second: p': 1 });
    expect(log.events.filter((e) => e.type === 'take').map((e) => e.type === 'take' && e.reason)).toEqual(['submitted', 'parked']);
  });

  it('refuses a run whose workflow version cannot be loaded, notes why, retries it with a backoff, and drives the others', async () => {
    const { sim } = await countingSimulator();
    trackSim(sim);
    process.env.OLLAMA_HOST = sim.url;
    const store = tempStore();
    // The stored version itself fails while it is evaluated (a setting missing in this worker's environment): the
    // source file no longer matters, the version does, and the worker must not keep the failure.
    const guarded = join(tempDir(), 'guarded.workflow.ts');
    writeFileSync(
      guarded,
      `if (process.env.HARNESS_TEST_GUARD !== 'on') throw new Error('HARNESS_TEST_GUARD is not configured');\n` +
        `export { default } from ${JSON.stringify(pathToFileURL(stepsModule).href)};\n`,
    );
    // Submitted as `harness submit` does in its own process: built and stored, never evaluated in this one.
    const steps = await loadWorkflow(stepsModule);
    await submitRun({ store, workflow: steps.workflow, modulePath: guarded, version: await buildVersion(guarded), input: { question: 'x' }, runId: 'broken-1', cwd: repoRoot });
    await submit(store, stepsModule, { question: 'y' }, 'fine-1');
    rmSync(guarded); // the source is gone: only the stored version can drive the run
    const log = eventLog();
    track(startWorker({ store, pollMs: 30, refusalRetryMs: 1_000, onEvent: log.onEvent }));
    await untilStatus(store, 'fine-1', ['done']);
    const refusals = await until(() => {
      const found = log.events.filter((e) => e.type === 'refuse');
      return found.length > 0 ? found : undefined;
    });
    expect(refusals[0]).toMatchObject({ runId: 'broken-1', code: 'WORKFLOW_LOAD' });
    await new Promise((r) => setTimeout(r, 300)); // ten polls: the backoff (1 s here) keeps it from being retried
    expect(log.events.filter((e) => e.type === 'refuse')).toHaveLength(1);
    const broken = await store.read('broken-1');
    expect(broken.status).toBe('running');
    expect(broken.snapshot).toBeNull(); // untouched but for the note, which ls and show print
    expect(broken.blocked).toMatchObject({ code: 'WORKFLOW_LOAD', reason: expect.stringContaining('HARNESS_TEST_GUARD is not configured') });

    process.env.HARNESS_TEST_GUARD = 'on'; // configured: the next offer loads the same version again, and it runs
    try {
      const fixed = await untilStatus(store, 'broken-1', ['done']);
      expect(fixed.blocked).toBeUndefined();
    } finally {
      delete process.env.HARNESS_TEST_GUARD;
    }
  });

  it('stop() ends drives gracefully and hands the runs back for another worker', async () => {
    const { sim, prompts } = await countingSimulator({ latency: { ttftMs: 300 } });
    trackSim(sim);
    process.env.OLLAMA_HOST = sim.url;
    const store = tempStore();
    const ids = ['s-1', 's-2', 's-3'];
    for (const id of ids) await submit(store, stepsModule, { question: id }, id);
    const first = eventLog();
    const worker = startWorker({ store, pollMs: 50, concurrency: 3, onEvent: first.onEvent });
    await until(() => (first.events.filter((e) => e.type === 'take').length === 3 ? true : undefined));
    await worker.stop();
    for (const id of ids) expect(['running', 'done']).toContain((await store.read(id)).status);
    expect(first.events.filter((e) => e.type === 'leave').map((e) => e.type === 'leave' && e.status)).toEqual(['running', 'running', 'running']);

    track(startWorker({ store, pollMs: 50 }));
    for (const id of ids) expect((await untilStatus(store, id, ['done', 'failed', 'flagged'])).status).toBe('done');
    // Calls in flight at the stop finished and were journaled: nothing was paid twice.
    expect([...prompts.values()].every((n) => n === 1)).toBe(true);
    expect(prompts.size).toBe(6);
  });
});
