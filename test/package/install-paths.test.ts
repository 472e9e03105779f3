// The package is not on the npm registry: it installs from a directory (a clone) and from a git URL, and npm builds it
// on the way (its `prepare` script). Each path ends in a project that imports it, runs a workflow with `npx harness`,
// and whose `harness init` depends on the same source again.
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { helloWorkflow, install, json, minutes, ok, readJson, repoRoot, sh, workDir, workingTreeRepo, writeFiles } from './helpers.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 4, script: { '*': () => JSON.stringify({ answer: 'hi' }) } });
});
afterAll(async () => {
  await sim?.close();
});

const peers = ['xstate@^5.33', 'zod@^4', 'tsx@^4'];

/** A project that has the package: it imports every entry with plain node and runs a workflow with npx harness. */
async function usesThePackage(project: string): Promise<void> {
  const imported = await ok('node', ['--input-type=module', '-e', "const m = await import('xstate-llm-harness'); console.log(typeof m.runWorkflow)"], project);
  expect(imported.stdout.trim()).toBe('function');
  const run = await ok('npx', ['--no', 'harness', 'run', 'machines/hello.ts', '--input', '{"text":"hi"}'], project, { OLLAMA_HOST: sim.url });
  expect(run.stdout).toMatch(/^done {2}run hello-/m);
  expect(run.stdout).toMatch(/^calls 1 /m);
}

function newProject(dir: string, extra: Record<string, unknown> = {}): string {
  writeFiles(dir, { 'package.json': json({ name: 'user-project', private: true, type: 'module', ...extra }), 'machines/hello.ts': helloWorkflow });
  return dir;
}

describe('installed from a directory: a clone whose own npm install ran', { timeout: minutes(10) }, () => {
  const work = workDir('dir-install');
  const clone = join(work, 'clone');
  const project = join(work, 'project');

  beforeAll(async () => {
    mkdirSync(clone);
    await workingTreeRepo(clone);
    // The clone's dependencies, as `npm install` in it leaves them (the same lockfile): this checkout's.
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'), 'dir');
    newProject(project);
    await ok('npm', [...install, clone, ...peers], project);
  }, minutes(10));

  it('links the clone, built by its prepare script on install', async () => {
    expect(lstatSync(join(project, 'node_modules/xstate-llm-harness')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(clone, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(clone, 'examples/code-review.ts'))).toBe(true);
    await usesThePackage(project);
  });

  it('harness init with no --from links the same clone, and that project passes its own npm test', async () => {
    await ok('npx', ['--no', 'harness', 'init', 'fresh'], project);
    const fresh = join(project, 'fresh');
    expect(readJson(join(fresh, 'package.json'))).toMatchObject({ dependencies: { 'xstate-llm-harness': `file:${relative(fresh, clone)}` } });
    await ok('npm', install, fresh);
    const test = await ok('npm', ['test'], fresh);
    expect(test.stdout).toMatch(/Tests +2 passed/);
  });
});

describe('installed from a git URL', { timeout: minutes(30) }, () => {
  const work = workDir('git-install');
  const repo = join(work, 'repo');
  const url = () => `git+${pathToFileURL(repo).href}`;

  beforeAll(async () => {
    mkdirSync(repo);
    await workingTreeRepo(repo);
  }, minutes(5));

  // npm clones it, installs its development dependencies in the clone, runs `prepare` (the build) and packs it: the
  // slowest install there is (minutes, more on a busy machine), so one install, under npm's strict install-script
  // policy (what npm is moving to) with the allowScripts entries the README gives. npm as it is today runs the same
  // scripts with a warning instead of a check, so what passes here passes there.
  it('builds on install under --strict-allow-scripts with the README\'s allowScripts, and runs', async () => {
    const project = newProject(join(work, 'project'), { allowScripts: { [url()]: true, esbuild: true, 'msgpackr-extract': true } });
    await ok('npm', [...install, '--strict-allow-scripts', url(), ...peers], project);
    expect(existsSync(join(project, 'node_modules/xstate-llm-harness/dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(project, 'node_modules/xstate-llm-harness/examples/code-review.ts'))).toBe(true);
    await usesThePackage(project);
    // A new project from here depends on the commit this copy was built from.
    await ok('npx', ['--no', 'harness', 'init', 'fresh'], project);
    const spec = (readJson(join(project, 'fresh/package.json')) as { dependencies: Record<string, string> }).dependencies['xstate-llm-harness'];
    expect(spec).toMatch(new RegExp(`^${url().replace(/[.+]/g, '\\$&')}#[0-9a-f]{40}$`));
  }, minutes(30));

  it('is refused under --strict-allow-scripts without them, naming the build script', async () => {
    const project = newProject(join(work, 'unapproved'));
    const refused = await sh('npm', [...install, '--strict-allow-scripts', url(), ...peers], project);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/xstate-llm-harness@[\d.]+ \(prepare: node scripts\/build\.mjs\)/);
  }, minutes(15));
});
