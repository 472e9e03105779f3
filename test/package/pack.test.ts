// The package as a user gets it: npm pack, installed into a fresh project, used with plain node, tsc, esbuild, npx harness.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const minutes = (n: number) => n * 60_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of this test run's npm or vitest variables leak into the commands. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(?:npm_|VITEST|NODE_OPTIONS$|OLLAMA_HOST|HARNESS_|INIT_CWD$)/i.test(key)) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

function sh(command: string, args: string[], cwd: string, extra?: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: userEnv(extra), maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs and fails the test with everything printed when the exit code is not 0. */
async function ok(command: string, args: string[], cwd: string, extra?: Record<string, string>): Promise<Result> {
  const result = await sh(command, args, cwd, extra);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result;
}

const install = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

const workflow = `import { setup } from 'xstate';
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

const tsconfig = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
  include: ['machines'],
};

describe('the packed package, installed in a fresh project', { timeout: minutes(3) }, () => {
  let work = '';
  let tarball = '';
  let project = '';
  let sim: Simulator;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'harness-pack-'));
    // prepack builds dist/ first: the tarball is exactly what `npm publish` would upload.
    await ok('npm', ['pack', '--pack-destination', work, '--loglevel=error'], repoRoot);
    const packed = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!packed) throw new Error('npm pack wrote no tarball');
    tarball = join(work, packed);
    project = join(work, 'project');
    mkdirSync(join(project, 'machines'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(project, 'machines/hello.ts'), workflow);
    // The CLI tests' approval workflow (a model step, then a wait for a person), importing the package by name.
    const approval = readFileSync(join(repoRoot, 'test/cli/fixtures/approval.workflow.ts'), 'utf8');
    writeFileSync(join(project, 'machines/approval.ts'), approval.replace('../../../src/steps/index.ts', 'xstate-llm-harness'));
    // Only registry packages and the tarball; pg because ./postgres is imported below (an optional peer otherwise).
    await ok('npm', [...install, tarball, 'xstate@^5.33', 'zod@^4', 'tsx@^4', 'typescript@~5.9', '@types/node@^20', 'pg@^8'], project);
    sim = await startSimulator({ seed: 5, script: { '*': () => JSON.stringify({ answer: 'hi', title: 'Hello' }) } });
  }, minutes(6));

  afterAll(async () => {
    await sim?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships dist, the inspector page and the bin, and no tests or benches', async () => {
    const { stdout } = await ok('tar', ['tzf', tarball], work);
    const files = stdout.split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/index.d.ts.map');
    expect(files).toContain('package/dist/inspect/page/index.html');
    expect(files).toContain('package/bin/harness.js');
    expect(files.filter((f) => /^package\/(?:test|bench|machines)\//.test(f))).toEqual([]);
  });

  it('imports with plain node: the root and every subpath', async () => {
    for (const specifier of ['xstate-llm-harness', 'xstate-llm-harness/testing', 'xstate-llm-harness/check', 'xstate-llm-harness/inspect', 'xstate-llm-harness/postgres']) {
      const { stdout } = await ok('node', ['--input-type=module', '-e', `const m = await import('${specifier}'); console.log(Object.keys(m).length)`], project);
      expect(Number(stdout.trim()), specifier).toBeGreaterThan(0);
    }
  });

  it("serves the inspector's page from the installed package", async () => {
    const script = `import { FileStore } from 'xstate-llm-harness';
import { startInspector } from 'xstate-llm-harness/inspect';
const inspector = await startInspector({ store: new FileStore({ dir: 'snapshots' }), port: 0 });
for (const path of ['/', '/app.js', '/style.css']) console.log(path, (await fetch(inspector.url + path)).status);
await inspector.close();`;
    const { stdout } = await ok('node', ['--input-type=module', '-e', script], project);
    expect(stdout.trim().split('\n')).toEqual(['/ 200', '/app.js 200', '/style.css 200']);
  });

  it("type-checks a user's workflow with an ordinary NodeNext strict tsconfig", async () => {
    writeFileSync(
      join(project, 'machines/subpaths.ts'),
      `import { startSimulator } from 'xstate-llm-harness/testing';
import { checkMachine } from 'xstate-llm-harness/check';
import { startInspector } from 'xstate-llm-harness/inspect';
import { PostgresStore } from 'xstate-llm-harness/postgres';
import hello from './hello.js';
export const used = [startSimulator, checkMachine, startInspector, PostgresStore, hello.id] as const;
`,
    );
    await ok('npx', ['--no', '--', 'tsc', '-p', '.'], project);
  });

  it('bundles a workflow with esbuild, the package left external', async () => {
    await ok('npx', ['--no', 'esbuild', 'machines/hello.ts', '--bundle', '--platform=node', '--format=esm', '--packages=external', '--outfile=out/hello.js'], project);
    const { stdout } = await ok('node', ['--input-type=module', '-e', "const m = await import('./out/hello.js'); console.log(m.default.id)"], project);
    expect(stdout.trim()).toBe('hello');
  });

  it('runs a TypeScript workflow with npx harness against the simulator', async () => {
    const run = await ok('npx', ['--no', 'harness', 'run', 'machines/hello.ts', '--input', '{"text":"hi"}'], project, { OLLAMA_HOST: sim.url });
    expect(run.stdout).toMatch(/^done {2}run hello-/m);
    expect(existsSync(join(project, 'snapshots'))).toBe(true);
    const config = await ok('npx', ['--no', 'harness', 'config'], project);
    expect(config.stdout).toContain(`snapshots       ${join(project, 'snapshots')}  (default)`);
  });

  it('prints follow-up commands that work in the project (npx harness), and they do', async () => {
    const env = { OLLAMA_HOST: sim.url };
    const waiting = await ok('npx', ['--no', 'harness', 'run', 'machines/approval.ts', '--input', '{}'], project, env);
    const send = /^ {2}(npx harness send (\S+) APPROVE) --data '\{\}'$/m.exec(waiting.stdout);
    expect(send, waiting.stdout).not.toBeNull();
    const done = await ok('npx', ['--no', 'harness', 'send', send?.[2] ?? '', 'APPROVE'], project, env);
    expect(done.stdout).toMatch(/^done {2}run approval-/m);
  });

  it('refuses a zod 3 schema with a message naming the installed zod', async () => {
    const old = join(work, 'zod3');
    mkdirSync(old);
    writeFileSync(join(old, 'package.json'), JSON.stringify({ name: 'zod3', private: true, type: 'module' }));
    await ok('npm', [...install, 'zod@^3.23'], old);
    // zod 3 from this directory, the harness from the project: the mix a project upgrading slowly ends up with.
    const script = `import { z } from 'zod';
const { defineWorkflow } = await import(${JSON.stringify(join(project, 'node_modules/xstate-llm-harness/dist/index.js'))});
try { defineWorkflow({ id: 'old', input: z.object({ text: z.string() }), machine: {} }); console.log('accepted'); }
catch (error) { console.log(error.message); }`;
    const { stdout } = await ok('node', ['--input-type=module', '-e', script], old);
    expect(stdout).toMatch(/^xstate-llm-harness needs zod 4 schemas \(defineWorkflow "old" input is a zod 3 schema: zod@3\.\d+\.\d+ is installed\); upgrade zod/);
  });

  it("scaffolds a project with harness init --from <tarball> whose own npm test passes", async () => {
    const init = await ok('npx', ['--no', 'harness', 'init', 'fresh', '--from', tarball], project);
    expect(init.stdout).toContain('next: cd fresh && npm install && npm test');
    const fresh = join(project, 'fresh');
    await ok('npm', install, fresh);
    const test = await ok('npm', ['test'], fresh);
    expect(test.stdout).toMatch(/Tests +2 passed/);
    await ok('npx', ['--no', '--', 'tsc', '--noEmit'], fresh);
    await ok('npm', ['run', 'check'], fresh);
  }, minutes(5));
});
