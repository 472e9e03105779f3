// harness init from an installed package, as the README orders it: npm init, npm install <the package>, harness init;
// and a new project from there with no --from. Each project's own npm install && npm test must pass.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { helloWorkflow, install, minutes, ok, readJson, sh, tarball, workDir } from './helpers.ts';

describe('harness init from the installed package', { timeout: minutes(10) }, () => {
  const work = workDir('init');
  const project = join(work, 'existing');
  let sim: Simulator;

  beforeAll(async () => {
    await ok('mkdir', ['-p', project], work);
    // What npm init -y writes: "type": "commonjs" and a placeholder test script.
    await ok('npm', ['init', '-y'], project);
    await ok('npm', [...install, tarball()], project);
    sim = await startSimulator({ seed: 3, script: { '*': () => JSON.stringify({ answer: 'hi' }) } });
  }, minutes(10));

  afterAll(async () => {
    await sim?.close();
  });

  it('completes an existing CommonJS project: .mts workflows, its package.json and tsconfig filled in, nothing replaced', async () => {
    writeFileSync(join(project, 'tsconfig.json'), '{\n  // the project\'s own settings\n  "compilerOptions": { "strict": true }\n}\n');
    const init = await ok('npx', ['--no', 'harness', 'init', '--example', 'code-review'], project);
    expect(init.stdout).toContain('added to .: .gitignore, machines/triage.mts, test/triage.test.mts, machines/code-review.mts');
    expect(init.stdout).toMatch(/^updated package\.json: dependencies xstate, zod; devDependencies @types\/node, tsx, typescript, vitest; scripts test, typecheck, check$/m);
    expect(init.stdout).toContain('updated tsconfig.json: compilerOptions.module "NodeNext"');
    expect(init.stdout).toContain(`depends on xstate-llm-harness file:${relative(project, tarball())} (kept)`);
    expect(readFileSync(join(project, 'tsconfig.json'), 'utf8')).toContain("// the project's own settings");
    expect(readJson(join(project, 'package.json'))).toMatchObject({ type: 'commonjs', scripts: { test: 'vitest run' } });

    await ok('npm', install, project);
    const test = await ok('npm', ['test'], project);
    expect(test.stdout).toMatch(/Tests +2 passed/);
    await ok('npm', ['run', 'typecheck'], project);
    const check = await ok('npm', ['run', 'check'], project);
    expect(check.stdout).toContain('checked 2 workflows: 0 errors');

    // Again: nothing is missing any more, and nothing is touched.
    const before = readFileSync(join(project, 'machines/triage.mts'), 'utf8');
    writeFileSync(join(project, 'machines/triage.mts'), `${before}// mine\n`);
    const again = await ok('npx', ['--no', 'harness', 'init'], project);
    expect(again.stdout).toContain('nothing to add to .');
    expect(again.stdout).toContain('skipped (already there, left as it is): machines/triage.mts');
    expect(readFileSync(join(project, 'machines/triage.mts'), 'utf8')).toBe(`${before}// mine\n`);
  });

  it('refuses a .ts workflow in a CommonJS project with what to change, and runs it as .mts', async () => {
    writeFileSync(join(project, 'machines/hello.ts'), helloWorkflow);
    const refused = await sh('npx', ['--no', 'harness', 'run', 'machines/hello.ts', '--input', '{"text":"hi"}'], project, { OLLAMA_HOST: sim.url });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `harness: cannot load workflow machines/hello.ts: hello.ts is CommonJS (${join(project, 'package.json')} has no "type": "module"), ` +
        `and xstate-llm-harness is an ES module: rename it to hello.mts, or add "type": "module" to ${join(project, 'package.json')}\n`,
    );
    writeFileSync(join(project, 'machines/hello.mts'), helloWorkflow);
    const run = await ok('npx', ['--no', 'harness', 'run', 'machines/hello.mts', '--input', '{"text":"hi"}'], project, { OLLAMA_HOST: sim.url });
    expect(run.stdout).toMatch(/^done {2}run hello-/m);
    expect(run.stdout).toMatch(/^calls 1 /m);
  });

  it('makes a new project that depends on the tarball this copy came from, with no --from', async () => {
    const init = await ok('npx', ['--no', 'harness', 'init', 'fresh'], project);
    expect(init.stdout).toContain('next: cd fresh && npm install && npm test');
    const fresh = join(project, 'fresh');
    expect(readJson(join(fresh, 'package.json'))).toMatchObject({ dependencies: { 'xstate-llm-harness': `file:${relative(fresh, tarball())}` } });
    await ok('npm', install, fresh);
    const test = await ok('npm', ['test'], fresh);
    expect(test.stdout).toMatch(/Tests +2 passed/);
    await ok('npm', ['run', 'typecheck'], fresh);
    await ok('npm', ['run', 'check'], fresh);
  });
});
