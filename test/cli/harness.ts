// Spawns the real `harness` command (node bin/harness.js) for the CLI tests, with its own snapshots dir and model host.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIO } from '../../src/cli/command.ts';
import { runCli } from '../../src/cli/dispatch.ts';
import { commands } from '../../src/cli/registry.ts';
import { FileStore, type RunRecord } from '../../src/store/index.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string) => `test/cli/fixtures/${name}`;

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Env {
  ollamaHost: string;
  snapshots: string;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'harness-cli-'));
}

function childEnv(env: Env, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = { ...process.env, OLLAMA_HOST: env.ollamaHost, HARNESS_SNAPSHOTS: env.snapshots, NO_COLOR: '1' };
  delete vars.HARNESS_DEBUG;
  return { ...vars, ...extra };
}

/** Starts the CLI; `done` resolves with its exit code and everything it printed. */
export function start(args: string[], env: Env, extra?: Record<string, string>): { child: ChildProcess; done: Promise<Result>; stdout: () => string } {
  const child = spawn(process.execPath, ['bin/harness.js', ...args], { cwd: repoRoot, env: childEnv(env, extra), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Result>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

export function harness(args: string[], env: Env, extra?: Record<string, string>): Promise<Result> {
  return start(args, env, extra).done;
}

/**
 * The same commands run inside the test process (real code, captured streams): for the many one-line checks of
 * usage and refusals, where a process start per case would only cost time. Commands that call a model are spawned.
 */
export async function inProcess(args: string[], env: Env, extra: Record<string, string> = {}): Promise<Result> {
  const sink = () => {
    let text = '';
    const stream = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    return { stream, text: () => text };
  };
  const stdout = sink();
  const stderr = sink();
  const io: CliIO = { stdout: stdout.stream, stderr: stderr.stream, env: childEnv(env, extra), cwd: repoRoot };
  const code = await runCli(commands, args, io);
  return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
}

/** The run as the store reads it back (meta, checkpoint, journal and timeline of `<snapshots>/<id>/`). */
export function readRun(env: Env, runId: string): Promise<RunRecord> {
  return new FileStore({ dir: env.snapshots }).read(runId);
}

/** The directory a run lives in (`run.json`, `journal.ndjson`, `checkpoint.json`, `timeline.ndjson`, `lock`, `cancel`). */
export function runDir(env: Env, runId: string): string {
  return join(env.snapshots, runId);
}

/** Polls until `check` returns (or resolves to) a value other than undefined; fails after `ms`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
