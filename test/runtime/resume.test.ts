// Resume and the step journal: a stopped run resumes, a journaled call is never paid twice, backoff survives a stop.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostPool } from '../../src/llm/pool.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import type { StepContext } from '../../src/steps/index.ts';
import type { Checkpoint, FileStore, RunRecord, StoredJournalEntry } from '../../src/store/index.ts';
import { contextOf, modulePath, oneStepWorkflow, removeTempDirs, tempStore, validReply } from '../steps/fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

interface PersistedChild {
  src: string;
  snapshot: { status: string; value?: unknown; context?: unknown; input?: { until?: number }; children?: Record<string, PersistedChild> };
}

/** The persisted children of a snapshot (or of a child's snapshot), as XState writes them. */
function childrenOf(snapshot: { children?: unknown } | null | undefined): PersistedChild[] {
  return Object.values((snapshot?.children ?? {}) as Record<string, PersistedChild>);
}

/** The `ask` step's own machine in a run's checkpoint, while the step runs. */
function stepChild(record: RunRecord): PersistedChild {
  const step = childrenOf(record.snapshot).find((child) => child.src === 'ask');
  if (!step) throw new Error('the ask step is not running in this checkpoint');
  return step;
}

/**
 * Puts an earlier checkpoint back, as a crash at that moment would have left the run: the journal keeps every entry
 * appended since (a journal line is durable before its call's actor resolves), plus `extra` lines when given.
 */
async function rewind(store: FileStore, earlier: RunRecord, extra: StoredJournalEntry[] = []): Promise<void> {
  const session = await store.open(earlier.runId);
  try {
    for (const entry of extra) await session.append(entry);
    const checkpoint: Checkpoint = { status: 'running', snapshot: earlier.snapshot, flags: earlier.flags, usage: earlier.usage, activeMs: earlier.activeMs, wakeAt: null };
    await session.commit(checkpoint);
  } finally {
    await session.close();
  }
}

/**
 * Runs a one-step workflow to the end against a fresh simulator that always sends `reply`, keeping a copy of the
 * first checkpoint taken while the step's call was in flight and nothing was journaled yet.
 */
async function runKeepingInFlight(reply: string) {
  const sim = await simulator({ latency: { ttftMs: 50 }, script: { '*': () => reply } });
  const store = tempStore();
  const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
  let inFlight: RunRecord | undefined;
  const finished = await runWorkflow({
    store,
    workflow,
    modulePath,
    input: { question: 'q' },
    onCheckpoint: (record) => {
      const step = childrenOf(record.snapshot).find((child) => child.src === 'ask');
      if (!inFlight && record.journal.length === 0 && step?.snapshot.value === 'attempting') inFlight = clone(record);
    },
  });
  return { sim, store, workflow, finished, inFlight };
}

describe('stop and resume', () => {
  it('stops gracefully mid-call: the call in flight finishes and is journaled, and resume pays nothing again', async () => {
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
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, signal: stop.signal });
    expect(stopped.status).toBe('stopped');
    const onDisk = await store.read(stopped.runId);
    expect(onDisk.status).toBe('stopped');
    expect(onDisk.journal).toHaveLength(1); // paid for in full, so kept: its tokens count
    expect(onDisk.usage.calls).toBe(1);

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
    expect(resumed.output).toEqual({ answer: { answer: 'resumed', confidence: 0.9 }, flags: [] });
    expect(resumed.journal).toHaveLength(1);
    expect(resumed.epoch).toBe(2);
    expect(sim.stats().completed).toBe(1);
  });

  it('sends nothing new once stopping: a call still waiting for a host slot is made on resume', async () => {
    const stop = new AbortController();
    const sim = await simulator({ latency: { ttftMs: 150 }, script: { '*': () => validReply('second') } });
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const limiter = new HostPool(1);
    const hold = await limiter.acquire(new URL(sim.url).origin); // the host's one slot is taken: the call queues
    const running = runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, limiter, signal: stop.signal });
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    const stopped = await running;
    hold();
    expect(stopped.status).toBe('stopped');
    expect(stopped.journal).toEqual([]);
    expect(sim.stats().completed).toBe(0);
    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
    expect(sim.stats().completed).toBe(1);
  });

  it('never pays twice for a call whose result is journaled but whose checkpoint is older', async () => {
    const { sim, store, workflow, finished, inFlight } = await runKeepingInFlight(validReply('paid once'));
    expect(finished.status).toBe('done');
    if (!inFlight) throw new Error('no checkpoint was taken while the call was in flight');
    const attempt = childrenOf(stepChild(inFlight).snapshot).find((child) => child.src === 'attempt');
    expect(attempt?.snapshot.status).toBe('active');

    // The process "crashed" after the call was journaled but before the next checkpoint was written.
    await rewind(store, inFlight);
    const before = sim.stats().completed;

    const resumed = await resumeWorkflow({ store, runId: finished.runId, workflow });
    expect(sim.stats().completed).toBe(before);
    expect(resumed.status).toBe('done');
    expect(resumed.output).toEqual(finished.output);
    expect(resumed.journal).toHaveLength(1);
    expect(resumed.usage).toEqual(finished.usage);
    expect(contextOf(resumed).ask?.attempts.map((a) => a.replayed)).toEqual([true]);
  });

  it('makes the call again when the journaled request differs from the one restored', async () => {
    const { sim, store, workflow, finished, inFlight } = await runKeepingInFlight(validReply());
    if (!inFlight) throw new Error('no checkpoint was taken while the call was in flight');
    const final = await store.read(finished.runId);
    // A newer line for the same key, for another request: it wins the key, and does not match what is restored.
    const other = final.journal.map((entry) => ({ ...entry, requestHash: 'not-this-request', epoch: 99 }));
    await rewind(store, inFlight, other);
    const before = sim.stats().completed;
    const resumed = await resumeWorkflow({ store, runId: finished.runId, workflow });
    expect(resumed.status).toBe('done');
    expect(sim.stats().completed).toBe(before + 1);
    expect(contextOf(resumed).ask?.attempts.map((a) => a.replayed)).toEqual([false]);
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
      signal: stop.signal,
      onCheckpoint: (record) => {
        const step = childrenOf(record.snapshot).find((child) => child.src === 'ask');
        if (!stop.signal.aborted && step?.snapshot.value === 'backingOff') {
          stoppedAt = Date.now();
          stop.abort();
        }
      },
    });
    expect(stopped.status).toBe('stopped');
    const onDisk = await store.read(stopped.runId);
    const step = stepChild(onDisk);
    const timers = childrenOf(step.snapshot);
    expect(timers).toHaveLength(1);
    const timer = timers[0] as PersistedChild;
    expect(timer.src).toBe('sleepUntil');
    expect(timer.snapshot.status).toBe('active');
    const until = timer.snapshot.input?.until ?? 0;
    expect(until).toBe((step.snapshot.context as StepContext).retryAt);
    expect(until).toBeGreaterThan(stoppedAt); // an absolute time still ahead, not a relative delay
    expect(onDisk.wakeAt).toBe(until); // the run says when it next needs driving

    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
    // One attempt: the 500 cost a try, kept apart on it.
    expect(contextOf(resumed).ask?.attempts.map((a) => [a.error?.kind ?? 'ok', a.outageTries?.map((t) => t.error.kind)])).toEqual([['ok', ['server']]]);
    expect(resumed.output).toEqual({ answer: { answer: 'after the wait', confidence: 0.9 }, flags: [] });
    // The restored timer waited for the saved deadline before the retry went out.
    const retry = sim.log().find((entry) => entry.attempt === 2);
    expect(retry?.receivedAt).toBeGreaterThanOrEqual(until - 20);
  });

  it('leaves a readable checkpoint with the stopped snapshot when stopped before it starts', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 3000 } });
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, signal: AbortSignal.abort() });
    expect(stopped.status).toBe('stopped');
    const checkpoint = JSON.parse(readFileSync(join(store.dir, stopped.runId, 'checkpoint.json'), 'utf8')) as { status: string };
    expect(checkpoint.status).toBe('stopped');
    const resumed = await resumeWorkflow({ store, runId: stopped.runId, workflow });
    expect(resumed.status).toBe('done');
  });
});
