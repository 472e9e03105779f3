// A second Ctrl-C quits at once and still says how to go on: the resume command is printed on every way out.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/index.ts';
import { FileStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import approval from './fixtures/approval.workflow.ts';
import { script } from '../eval/fixtures/sum-script.ts';
import { fixture, repoRoot, start, until, type Env } from './harness.ts';

const approvalModule = join(repoRoot, fixture('approval.workflow.ts'));

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

describe('a second Ctrl-C while `harness inspect` closes', { timeout: 90_000 }, () => {
  it('quits at once and says the runs it was driving are left resumable', async () => {
    const snapshots = join(evals, 'inspect-runs');
    const store = new FileStore({ dir: snapshots });
    // A run stopped at its first call: the page resumes it, and that call streams slowly while the inspector closes.
    const stop = new AbortController();
    const stopped = await runWorkflow({
      store, workflow: approval, modulePath: approvalModule, input: { topic: 'tides' }, runId: 'page-driven', limiter: null, signal: stop.signal,
      onCall: (event) => {
        if (event.type === 'call.start') stop.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    const inspect = start(['inspect', '--port', '0', '--snapshots', snapshots], env);
    let stderr = '';
    inspect.child.stderr?.on('data', (chunk: string) => (stderr += chunk));
    const page = await until(() => /Open (\S+)/.exec(inspect.stdout())?.[1]);
    const url = new URL(page);
    const token = url.searchParams.get('token') ?? '';
    const before = sim.stats().inFlight;
    const reply = await fetch(new URL('/api/runs/page-driven/resume', url), { method: 'POST', headers: { 'content-type': 'application/json', 'x-harness-token': token } });
    expect(reply.status).toBe(202);
    await until(() => (sim.stats().inFlight > before ? true : undefined));
    inspect.child.kill('SIGINT');
    await until(() => (stderr.includes('Ctrl-C again to quit now') ? true : undefined));
    inspect.child.kill('SIGINT');
    const quit = await inspect.done;
    expect(quit.code).toBe(130);
    expect(stderr).toMatch(/^quit at once: runs this page was driving are left at their last checkpoint; harness ls lists them, harness resume <run-id> continues one$/m);
    // Left mid-drive at its last checkpoint (its lock gone with the process): resumable, not ended.
    expect(['running', 'stopped']).toContain((await store.read('page-driven')).status);
  });
});
