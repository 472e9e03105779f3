// An Ollama host that stays down: `harness run` parks the run (exit 75, never flagged), and `harness resume` finishes it.
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, harness, readRun, tempDir, type Env } from './harness.ts';

const opened: Simulator[] = [];
afterAll(async () => {
  await Promise.all(opened.map((sim) => sim.close()));
});

describe('an unreachable Ollama host', { timeout: 60_000 }, () => {
  it('parks the run with exit 75 and the reason, and resume finishes it once the host is back', async () => {
    const probe = await startSimulator();
    const { port } = probe;
    await probe.close(); // nothing listens on this port now
    const env: Env = { ollamaHost: `http://127.0.0.1:${port}`, snapshots: tempDir() };

    const parked = await harness(['run', fixture('quick.workflow.ts'), '--input', '{"question":"q"}', '--run-id', 'down1', '--park-after', '300'], env);
    expect(parked.code).toBe(75);
    expect(parked.stdout).toMatch(/^parked {2}run down1$/m);
    expect(parked.stdout).toContain('harness resume down1');
    const record = await readRun(env, 'down1');
    expect(record.status).toBe('parked');
    expect(record.flags).toEqual([]);
    expect(record.journal.every((entry) => !entry.result.success && 'error' in entry.result.metadata)).toBe(true);

    const sim = await startSimulator({ port, seed: 3 });
    opened.push(sim);
    const resumed = await harness(['resume', 'down1'], env);
    expect(resumed.code).toBe(0);
    expect((await readRun(env, 'down1')).status).toBe('done');
    expect(sim.stats().completed).toBe(1);
  });
});
