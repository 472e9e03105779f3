// The package as a user gets it: npm pack, installed into a fresh project, used with plain node, tsc, esbuild, npx harness.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { helloWorkflow, install, minutes, ok, repoRoot, tarball as packedTarball, workDir } from './helpers.ts';

const tsconfig = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
  include: ['machines'],
};

describe('the packed package, installed in a fresh project', { timeout: minutes(5) }, () => {
  const work = workDir('pack');
  const project = join(work, 'project');
  let tarball = '';
  let sim: Simulator;

  beforeAll(async () => {
    tarball = packedTarball();
    mkdirSync(join(project, 'machines'), { recursive: true });
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
    writeFileSync(join(project, 'machines/hello.ts'), helloWorkflow);
    // The CLI tests' approval workflow (a model step, then a wait for a person), importing the package by name.
    const approval = readFileSync(join(repoRoot, 'test/cli/fixtures/approval.workflow.ts'), 'utf8');
    writeFileSync(join(project, 'machines/approval.ts'), approval.replace('../../../src/steps/index.ts', 'xstate-llm-harness'));
    // Only registry packages and the tarball; pg because ./postgres is imported below (an optional peer otherwise).
    await ok('npm', [...install, tarball, 'xstate@^5.33', 'zod@^4', 'tsx@^4', 'typescript@~5.9', '@types/node@^20', 'pg@^8'], project);
    sim = await startSimulator({ seed: 5, script: { '*': () => JSON.stringify({ answer: 'hi', title: 'Hello' }) } });
  }, minutes(10));

  afterAll(async () => {
    await sim?.close();
  });

  it('ships dist, the inspector page and the bin, and no tests or benches', async () => {
    const { stdout } = await ok('tar', ['tzf', tarball], work);
    const files = stdout.split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/dist/index.d.ts.map');
    expect(files).toContain('package/dist/inspect/page/index.html');
    expect(files).toContain('package/bin/harness.js');
    // The examples, with the imports a user's project writes, and what the demo runs them with.
    expect(files).toEqual(expect.arrayContaining(['package/examples/code-review.ts', 'package/examples/samples/review-replies.ts', 'package/examples/repo-qa/tools.ts']));
    expect(files.filter((f) => /^package\/(?:test|bench|machines|scripts)\//.test(f))).toEqual([]);
    const example = readFileSync(join(project, 'node_modules/xstate-llm-harness/examples/code-review.ts'), 'utf8');
    expect(example).toContain("from 'xstate-llm-harness'");
    expect(example).not.toContain('/src/');
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

  it('runs the code-review demo from the installed package, offline, against the built-in simulator', async () => {
    const demo = await ok('npx', ['--no', 'harness', 'demo'], project);
    expect(demo.stdout).toContain('Replies are simulated by the built-in Ollama simulator');
    expect(demo.stdout).toMatch(/^ {2}decision {3}request-changes/m);
    expect(demo.stdout).toMatch(/^ {2}qwen2\.5-coder:7b .*below 0\.7: escalated$/m);
    const runId = /npx harness show (demo-review-\S+)/.exec(demo.stdout)?.[1];
    expect(runId, demo.stdout).toBeDefined();
    const show = await ok('npx', ['--no', 'harness', 'show', runId ?? ''], project);
    expect(show.stdout).toMatch(/^status +done/m);
  });
});
