// Resume and the step journal: a stopped run resumes, a journaled call is never paid twice, backoff survives a stop.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import type { FileStore, RunRecord } from '../../src/store/index.ts';
import { contextOf, modulePath, oneStepWorkflow, removeTempDirs, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Replaces a run file's contents, as a crash at an earlier moment would have left it. */
function rewrite(store: FileStore, record: RunRecord): void {
  writeFileSync(store.pathOf(record.runId), JSON.stringify(record));
}

/**
 * Runs a one-step workflow to the end against a fresh simulator that always sends `reply`, keeping a copy of the
 * first checkpoint taken before anything was journaled whose serialised state value passes `isInFlight`.
 */
async function runKeepingInFlight(reply: string, isInFlight: (value: string) => boolean) {
  const sim = await simulator({ latency: { ttftMs: 50 }, script: { '*': () => reply } });
  const store = tempStore();
  const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
  let inFlight: RunRecord | undefined;
  const finished = await runWorkflow({
    store,
    workflow,
    modulePath,
    input: { question: 'q' },
    pool: null,
    onCheckpoint: (record) => {
      if (!inFlight && record.journal.length === 0 && isInFlight(JSON.stringify(record.snapshot?.value))) inFlight = clone(record);
    },
  });
  return { sim, store, workflow, finished, inFlight: inFlight as RunRecord | undefined };
}

interface SleepChild {
  src: string;
  snapshot: { status: string; input: { until: number } };
}

describe('stop and resume', () => {
  it('stops a run mid-call with its signal, then resumes it to done', async () => {
    const stop = new AbortController();
    const sim = await simulator({
      latency: { ttftMs: 200 },
      script: {
        '*': () => {
          stop.abort(); // the request has reached the server: stop the run while it is in flight
          return validReply('resumed');
        },
      },
    });
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, pool: null, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    const onDisk = store.read(stopped.runId);
    expect(onDisk.status).toBe('stopped');
    expect(onDisk.journal).toEqual([]); // a cancelled call is not journaled: it was not paid for in full
    expect(onDisk.snapshot?.value).toEqual({ asking: 'attempting' });

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow, pool: null });
    expect(resumed.status).toBe('done');
    expect(resumed.output).toEqual({ answer: { answer: 'resumed', confidence: 0.9 }, flags: [] });
    expect(resumed.journal).toHaveLength(1);
    expect(resumed.epoch).toBe(2);
    expect(sim.stats().requests).toBe(2);
  });

  it('never pays twice for a call whose result is journaled but whose checkpoint is older', async () => {
    const { sim, store, workflow, finished, inFlight } = await runKeepingInFlight(
      validReply('paid once'),
      (value) => value === JSON.stringify({ asking: 'attempting' }),
    );
    expect(finished.status).toBe('done');
    expect(inFlight).toBeDefined();
    const checkpoint = inFlight as RunRecord;
    const child = Object.values(checkpoint.snapshot?.children as Record<string, SleepChild>)[0];
    expect(child?.src).toBe('model:ask');
    expect(child?.snapshot.status).toBe('active');

    // The process "crashed" after the call was journaled but before the next checkpoint was written.
    const final = store.read(finished.runId);
    rewrite(store, { ...final, status: 'running', snapshot: checkpoint.snapshot, output: undefined });
    const before = sim.stats().requests;

    const resumed = await resumeWorkflow({ store, runId: finished.runId, workflow, pool: null });
    expect(sim.stats().requests).toBe(before);
    expect(resumed.status).toBe('done');
    expect(resumed.output).toEqual(finished.output);
    expect(resumed.journal).toHaveLength(1);
    expect(resumed.usage).toEqual(finished.usage);
    const attempts = contextOf(resumed).steps.ask?.attempts ?? [];
    expect(attempts.map((a) => a.replayed)).toEqual([true]);
  });

  it('makes the call again when the journaled request differs from the one restored', async () => {
    const { sim, store, workflow, finished, inFlight } = await runKeepingInFlight(validReply(), (value) => value.includes('attempting'));
    const final = store.read(finished.runId);
    const journal = final.journal.map((entry) => ({ ...entry, requestHash: 'not-this-request' }));
    rewrite(store, { ...final, status: 'running', snapshot: (inFlight as RunRecord).snapshot, journal });
    const before = sim.stats().requests;
    const resumed = await resumeWorkflow({ store, runId: finished.runId, workflow, pool: null });
    expect(resumed.status).toBe('done');
    expect(sim.stats().requests).toBe(before + 1);
    expect(contextOf(resumed).steps.ask?.attempts.map((a) => a.replayed)).toEqual([false]);
  });

  it('keeps a backoff deadline absolute across a stop, and completes after resume', async () => {
    const stop = new AbortController();
    const sim = await simulator({
      script: { '*': (req) => (req.attempt === 1 ? { content: validReply(), fault: '500' } : validReply('after the wait')) },
    });
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 }, backoff: { baseMs: 2000, capMs: 2000 } });
    let stoppedAt = 0;
    const stopped = await runWorkflow({
      store,
      workflow,
      modulePath,
      input: { question: 'q' },
      pool: null,
      signal: stop.signal,
      onCheckpoint: (record) => {
        if (!stop.signal.aborted && JSON.stringify(record.snapshot?.value) === JSON.stringify({ asking: 'backingOff' })) {
          stoppedAt = Date.now();
          stop.abort();
        }
      },
    });
    expect(stopped.status).toBe('stopped');
    const onDisk = store.read(stopped.runId);
    const timers = Object.values(onDisk.snapshot?.children as Record<string, SleepChild>);
    expect(timers).toHaveLength(1);
    const timer = timers[0] as SleepChild;
    expect(timer.src).toBe('sleepUntil');
    expect(timer.snapshot.status).toBe('active');
    const until = timer.snapshot.input.until;
    expect(until).toBe(contextOf(onDisk).steps.ask?.retryAt);
    expect(until).toBeGreaterThan(stoppedAt); // an absolute time still ahead, not a relative delay

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow, pool: null });
    expect(resumed.status).toBe('done');
    expect(contextOf(resumed).steps.ask?.attempts.map((a) => a.error?.kind ?? 'ok')).toEqual(['server', 'ok']);
    expect(resumed.output).toEqual({ answer: { answer: 'after the wait', confidence: 0.9 }, flags: [] });
    // The restored timer waited for the saved deadline before the retry went out.
    const retry = sim.log().find((entry) => entry.attempt === 2);
    expect(retry?.receivedAt).toBeGreaterThanOrEqual(until - 20);
  });

  it('leaves the run file as valid JSON with the stopped snapshot when stopped before it starts', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, pool: null, signal: AbortSignal.abort() });
    expect(stopped.status).toBe('stopped');
    expect(() => JSON.parse(readFileSync(store.pathOf(stopped.runId), 'utf8')) as unknown).not.toThrow();
    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow, pool: null });
    expect(resumed.status).toBe('done');
  });
});
