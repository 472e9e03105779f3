// harness show explains a score below 1: the scorer's reasons, per call and in the flagged step's attempts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, harness, inProcess, tempDir, type Env } from './harness.ts';

let sim: Simulator;
let env: Env;
beforeAll(async () => {
  sim = await startSimulator({ seed: 1 });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});

describe('harness show', { timeout: 60_000 }, () => {
  it("prints the scorer's reasons, not only the score", async () => {
    const run = await harness(['run', fixture('contact.workflow.ts'), '--input', '{"text":"Ada, ada@analytical.org"}', '--run-id', 'c1'], env);
    expect(run.code).toBe(1);
    const show = await inProcess(['show', 'c1'], env);
    expect(show.stdout).toMatch(/^score reasons\n {2}extract qwen2\.5-coder:7b attempt 1: score 0\.00\n {4}- contains forbidden "example\.com"$/m);
    expect(show.stdout).toMatch(/^ {4}- qwen2\.5-coder:7b attempt 1: score 0 \(contains forbidden "example\.com"\)$/m);
  });
});
