// Outages are not model failures: an unreachable host is retried without spending retries or the ladder, and a long
// one parks the run (resumable) instead of flagging it.
import { afterAll, describe, expect, it } from 'vitest';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { contextOf, modulePath, oneStepWorkflow, removeTempDirs, small, tempStore, validReply } from '../steps/fixtures.ts';

afterAll(removeTempDirs);

const opened: Simulator[] = [];
afterAll(async () => {
  await Promise.all(opened.map((sim) => sim.close()));
});

/** A port where nothing listens yet: Ollama is "down" until `up()` starts a simulator on it. */
async function downHost() {
  const probe = await startSimulator();
  const { port } = probe;
  await probe.close();
  const up = async () => {
    const sim = await startSimulator({ port, script: { '*': () => validReply('after the outage') } });
    opened.push(sim);
    return sim;
  };
  return { url: `http://127.0.0.1:${port}`, up };
}

describe('an Ollama outage', () => {
  it('is ridden out with backoff, spending no retry and no rung, and the run ends as if nothing happened', async () => {
    const host = await downHost();
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: host.url, timeoutMs: 2000 }, backoff: { baseMs: 20, capMs: 50 } });
    let sim: Simulator | undefined;
    const run = runWorkflow({
      store,
      workflow,
      modulePath,
      input: { question: 'q' },
      outage: { parkAfterMs: 60_000 },
      onCheckpoint: (record) => {
        // Bring the host back once the step has failed on it a few times.
        if (!sim && record.journal.length >= 4) void host.up().then((s) => (sim = s));
      },
    });
    const record = await run;
    expect(record.status).toBe('done');
    expect(record.output).toEqual({ answer: { answer: 'after the outage', confidence: 0.9 }, flags: [] });
    const attempts = contextOf(record).ask?.attempts ?? [];
    // Every failure was the host's: the accepted reply came from the first model, on its first and only attempt, the
    // tries the outage cost kept apart on it.
    expect(attempts.map((a) => [a.model, a.attempt, a.error?.kind ?? 'ok'])).toEqual([[small, 1, 'ok']]);
    const tries = attempts[0]?.outageTries ?? [];
    expect(tries.length).toBeGreaterThanOrEqual(4);
    expect(tries.every((t) => t.error.kind === 'connection')).toBe(true);
    expect(contextOf(record).ask?.result?.model).toBe(small);
  });

  it('parks the run past the bound (resumable, not flagged), and resume finishes it once the host is back', async () => {
    const host = await downHost();
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: host.url, timeoutMs: 2000 }, backoff: { baseMs: 20, capMs: 50 } });
    const outage = { parkAfterMs: 200, retryParkedMs: 100 };
    const parked = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' }, outage });
    expect(parked.status).toBe('parked');
    expect(parked.flags).toEqual([]);
    expect(parked.wakeAt).toBeGreaterThan(Date.now() - 1000); // the next retry time is on the run
    expect((await store.read(parked.runId)).status).toBe('parked');

    const sim = await host.up();
    const done = await resumeWorkflow({ store, runId: parked.runId, workflow, outage });
    expect(done.status).toBe('done');
    expect(done.output).toEqual({ answer: { answer: 'after the outage', confidence: 0.9 }, flags: [] });
    expect(sim.stats().completed).toBe(1);
  });

  it('still escalates when the host answers that it does not have the model', async () => {
    const sim = await startSimulator({ models: ['qwen2.5-coder:32b'], script: { '*': () => validReply('from the larger model') } });
    opened.push(sim);
    const store = tempStore();
    const workflow = oneStepWorkflow({ config: { host: sim.url, timeoutMs: 2000 } });
    const record = await runWorkflow({ store, workflow, modulePath, input: { question: 'q' } });
    expect(record.status).toBe('done');
    expect(contextOf(record).ask?.attempts.map((a) => a.error?.kind ?? 'ok')).toEqual(['model-not-found', 'ok']);
  });
});
