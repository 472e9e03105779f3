// A second Ctrl-C quits at once and still says how to go on: the resume command is printed on every way out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { script } from '../eval/fixtures/sum-script.ts';
import { start, until, type Env } from './harness.ts';

let sim: Simulator;
let env: Env;
const evals = mkdtempSync(join(tmpdir(), 'harness-cli-interrupt-'));

beforeAll(async () => {
  // Slow tokens: the eval's first calls are still streaming when the signals arrive.
  sim = await startSimulator({ seed: 3, latency: { perTokenMs: 250 }, script });
  env = { ollamaHost: sim.url, snapshots: join(evals, 'snapshots') };
});
afterAll(async () => {
  await sim.close();
  rmSync(evals, { recursive: true, force: true });
});

describe('a second Ctrl-C', { timeout: 90_000 }, () => {
  it('quits an eval at once and prints the command that resumes it', async () => {
    const run = start(['eval', 'test/eval/fixtures/sum.eval.ts', '--evals', evals, '--id', 'twice', '--no-cache'], env);
    await until(() => (sim.stats().inFlight > 0 ? true : undefined), 60_000);
    run.child.kill('SIGINT');
    await until(() => (run.stdout().includes('Ctrl-C: stopping the eval') ? true : undefined));
    run.child.kill('SIGINT');
    const quit = await run.done;
    expect(quit.code).toBe(130);
    expect(quit.stderr).toMatch(/^quit at once: eval twice keeps its finished cases; resume it: harness eval test\/eval\/fixtures\/sum\.eval\.ts --id twice --evals \S+ …$/m);
  });
});
