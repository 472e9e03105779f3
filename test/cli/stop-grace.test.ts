// --stop-grace-ms: Ctrl-C on `harness run`, or SIGTERM on `harness worker`, while a tool deaf to its signal holds a
// two-minute timer: the stop waits the grace, cuts the call off, names it on stderr, and the process exits with the run
// resumable; the resume makes the call again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { planScript } from '../runtime/fixtures/tool-workflow.ts';
import { harness, inProcess, readRun, start, tempDir, until, type Env } from './harness.ts';

const workflow = 'test/runtime/fixtures/tool-workflow.ts';
let sim: Simulator;
let env: Env;

beforeAll(async () => {
  sim = await startSimulator({ script: { '*': planScript } });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});

/** Each test's own log of the fixture's tool executions. */
const logOf = (test: string) => join(env.snapshots, `${test}.tools.log`);
const waitStarts = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('start wait')) : []);
const started = (log: string) => until(() => (waitStarts(log).length > 0 ? true : undefined));

describe('a bounded graceful stop from the command line', { timeout: 90_000 }, () => {
  it('Ctrl-C: waits --stop-grace-ms, cuts the call off and names it, exits 130; resume makes it again', async () => {
    const toolLog = logOf('run');
    const run = start(['run', workflow, '--input', '{"plan":["wait"]}', '--run-id', 'cli-grace', '--stop-grace-ms', '300'], env, { TOOL_HOLD: 'wait', TOOL_LOG: toolLog });
    await started(toolLog);
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('stop: waited 300 ms for calls in flight; cut off, made again on resume: research/wait');
    expect(stopped.stdout).toMatch(/^stopped {2}run cli-grace$/m);
    expect((await readRun(env, 'cli-grace')).status).toBe('stopped');

    const resumed = await harness(['resume', 'cli-grace'], env, { TOOL_LOG: toolLog });
    expect(resumed.code).toBe(0);
    expect((await readRun(env, 'cli-grace')).output).toEqual({ summary: 'waited', flags: [] });
    expect(waitStarts(toolLog)).toHaveLength(2);
  });

  it('refuses a --stop-grace-ms that is not a whole number of ms: a usage error, exit 2, no run created', async () => {
    for (const args of [['run', workflow, '--input', '{"plan":["wait"]}', '--run-id', 'bad-grace'], ['worker']]) {
      const bad = await inProcess([...args, '--stop-grace-ms', 'soon'], env);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^harness: --stop-grace-ms must be a whole number of at least 0, got "soon"\n/);
    }
    expect(existsSync(join(env.snapshots, 'bad-grace'))).toBe(false);
  });

  it('SIGTERM to a worker: its drive is cut off after the grace, the run handed back with the call named', async () => {
    const submitted = await harness(['submit', workflow, '--input', '{"plan":["wait"]}', '--run-id', 'worker-grace'], env);
    expect(submitted.code).toBe(0);
    const toolLog = logOf('worker');
    const worker = start(['worker', '--poll-ms', '100', '--stop-grace-ms', '300'], env, { TOOL_HOLD: 'wait', TOOL_LOG: toolLog });
    await started(toolLog);
    worker.child.kill('SIGTERM');
    const stopped = await worker.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('leave  worker-grace running (cut off, made again: research/wait)');
    expect((await readRun(env, 'worker-grace')).status).toBe('running');
  });
});
