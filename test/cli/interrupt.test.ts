import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, harness, readRun, runDir, start, tempDir, until, type Env } from './harness.ts';

let sim: Simulator;
let env: Env;

beforeAll(async () => {
  // Slow tokens, so the model call is still streaming when Ctrl-C arrives.
  sim = await startSimulator({ seed: 5, latency: { perTokenMs: 250 } });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});

/** The model step's child machine, persisted under the root's children, is in its attempting state. */
function stepUnderWay(record: RunRecord): boolean {
  const children = (record.snapshot?.children ?? {}) as Record<string, { snapshot?: { value?: unknown; status?: string } }>;
  return Object.values(children).some((child) => child.snapshot?.status === 'active' && child.snapshot.value === 'attempting');
}

/** Starts a slow run and waits until its model call is streaming and the checkpoint shows the step under way. */
async function startSlowRun(runId: string) {
  const run = start(['run', fixture('quick.workflow.ts'), '--input', `{"question":"slowly ${runId}"}`, '--run-id', runId], env);
  await until(async () => {
    if (!run.stdout().includes('attempt 1  started') || sim.stats().inFlight === 0) return undefined;
    if (!existsSync(join(runDir(env, runId), 'history.ndjson'))) return undefined;
    const record = await readRun(env, runId);
    return stepUnderWay(record) ? record : undefined;
  });
  return run;
}

describe('Ctrl-C', { timeout: 90_000 }, () => {
  it('stops gracefully: the call in flight finishes and is journaled, the run is checkpointed stopped (exit 130)', async () => {
    sim.reset();
    const run = await startSlowRun('int1');
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stdout).toContain('Ctrl-C: stopping run int1');
    expect(stopped.stdout).toMatch(/^stopped {2}run int1$/m);
    expect(stopped.stdout).toContain('  harness resume int1');
    const record: RunRecord = await readRun(env, 'int1');
    expect(record.status).toBe('stopped');
    expect(record.journal).toHaveLength(1); // paid in full before the stop: kept, and its tokens counted
    expect(record.usage.tokensOut).toBeGreaterThan(0);
    expect(existsSync(join(runDir(env, 'int1'), 'lock'))).toBe(false); // the lock went with the process
    expect(sim.stats().disconnects).toBe(0); // nothing was cut off

    const resumed = await harness(['resume', 'int1'], env);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^done {2}run int1$/m);
    const done = await readRun(env, 'int1');
    expect(done.status).toBe('done');
    expect(done.journal).toHaveLength(1);
    expect(sim.stats().completed).toBe(1); // the resume answered from the journal: the call was paid once
  });

  it('quits at once on a second Ctrl-C; the cut-off call is made again on resume', async () => {
    sim.reset();
    const run = await startSlowRun('int2');
    run.child.kill('SIGINT');
    await until(async () => (run.stdout().includes('Ctrl-C: stopping run int2') ? true : undefined));
    run.child.kill('SIGINT');
    const quit = await run.done;
    expect(quit.code).toBe(130);
    expect(quit.stderr).toMatch(/^quit at once: run int2 is left at its last checkpoint; calls in flight are made again when you resume it:\n {2}\S*harness resume int2\n/m);
    const record: RunRecord = await readRun(env, 'int2');
    expect(record.journal).toEqual([]); // the interrupted call was not paid in full
    expect(stepUnderWay(record)).toBe(true); // the checkpoint holds the step's machine mid-attempt, to restore

    const resumed = await harness(['resume', 'int2'], env);
    expect(resumed.code).toBe(0);
    expect((await readRun(env, 'int2')).journal).toHaveLength(1);
    expect(sim.stats().disconnects).toBe(1); // the first request was really cut off
  });
});
