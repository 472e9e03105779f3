import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { fixture, readRun, repoRoot, tempDir, type Env } from './harness.ts';

let sim: Simulator;
let env: Env;

beforeAll(async () => {
  // Slow enough that the run is still calling a model when the reader goes away.
  sim = await startSimulator({ seed: 3, latency: { perTokenMs: 100 } });
  env = { ollamaHost: sim.url, snapshots: tempDir() };
});
afterAll(async () => {
  await sim.close();
});

/** Starts the CLI and closes our end of its stdout and stderr after its first line, as `2>&1 | head -1` does. */
function startThenCloseReader(args: string[]) {
  const child = spawn(process.execPath, ['bin/harness.js', ...args], {
    cwd: repoRoot,
    env: { ...process.env, OLLAMA_HOST: env.ollamaHost, HARNESS_SNAPSHOTS: env.snapshots, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let first = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    first += chunk;
    if (!first.includes('\n')) return;
    child.stdout.destroy();
    child.stderr.destroy();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    // A bound on the wait, not on speed: before the fix the process spun forever and ignored SIGTERM.
    const bound = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the CLI did not exit after its reader went away'));
    }, 45_000);
    child.once('exit', (code, signal) => {
      clearTimeout(bound);
      resolve({ code, signal });
    });
  });
  return { exited, first: () => first };
}

describe('a reader that closes the pipe', { timeout: 90_000 }, () => {
  it('stops the run at a checkpoint as Ctrl-C would, frees its lock and exits quietly', async () => {
    const args = ['run', fixture('two-steps.workflow.ts'), '--input', '{"question":"x"}', '--run-id', 'pipe1'];
    const run = startThenCloseReader(args);
    const { code, signal } = await run.exited;
    expect(run.first()).toMatch(/run pipe1 {2}workflow two-steps/);
    expect(signal).toBeNull();
    expect(code).toBe(130);
    expect(existsSync(join(env.snapshots, 'pipe1', 'lock'))).toBe(false);
    expect((await readRun(env, 'pipe1')).status).toBe('stopped');
  });
});
