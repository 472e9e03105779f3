// What the package tests share: commands run as in a user's shell, projects in temp directories, the packed tarball.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, inject } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const minutes = (n: number) => n * 60_000;

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of this test run's npm or vitest variables leak into the commands. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(?:npm_|VITEST|NODE_OPTIONS$|OLLAMA_HOST|HARNESS_|INIT_CWD$|NODE_ENV$)/i.test(key)) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export function sh(command: string, args: string[], cwd: string, extra?: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: userEnv(extra), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs and fails the test with everything printed when the exit code is not 0. */
export async function ok(command: string, args: string[], cwd: string, extra?: Record<string, string>): Promise<Result> {
  const result = await sh(command, args, cwd, extra);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** `npm install` as the tests run it: the shared cache first, quiet. */
export const install = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

/** The tarball the package project's global setup packed (see global-setup.ts). */
export const tarball = (): string => inject('tarball');

/** A temp directory removed after the file's tests (rmSync of installed packages can be slow: the hook has room). */
export function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `harness-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }), minutes(10));
  return dir;
}

/** Writes files (path → content) under `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
export const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

/** A one-step workflow importing the package by name, as a user writes one. */
export const helloWorkflow = `import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, modelStep, stepGuards } from 'xstate-llm-harness';

const reply = modelStep({
  id: 'reply',
  prompt: (input: { text: string }) => [{ role: 'user', content: input.text }],
  schema: z.object({ answer: z.string() }),
});

export default defineWorkflow({
  id: 'hello',
  input: z.object({ text: z.string() }),
  machine: setup({ actors: { reply }, guards: stepGuards, types: { input: {} as { text: string } } }).createMachine({
    id: 'hello',
    context: ({ input }) => ({ text: input.text }),
    initial: 'replying',
    states: {
      replying: { invoke: { src: 'reply', input: ({ context }) => ({ text: context.text }), onDone: 'done' } },
      done: { type: 'final' },
    },
  }),
});
`;

/**
 * This working tree (committed or not, ignored files left out) as a git repository of its own, one commit: what a
 * clone of the repository would hold, for installs from a directory and from a git URL.
 */
export async function workingTreeRepo(dest: string): Promise<string> {
  const listed = await ok('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], repoRoot);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    try {
      copyFileSync(join(repoRoot, file), join(dest, file));
    } catch (error) {
      // A file deleted in the working tree but not yet from the index is not part of it.
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
    }
  }
  await ok('git', ['init', '-q'], dest);
  await ok('git', ['add', '-A'], dest);
  await ok('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', 'commit', '-q', '-m', 'snapshot'], dest);
  return dest;
}
