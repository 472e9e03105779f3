// Every workflow README.md shows runs green against `harness simulate` (what a reader without a model tries first),
// and its test example passes, in a project that installed the package: the README's code as written.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readme, readmeSnippets } from '../helpers/readme.ts';
import { install, json, minutes, ok, tarball, userEnv, workDir, writeFiles } from './helpers.ts';

/** An input for each README workflow, by id: what the README's own text suggests. */
const inputs: Record<string, unknown> = {
  contact: { text: 'Ada Lovelace wrote from ada@analytical-engines.org about the punched cards.' },
};

const snippets = readmeSnippets(readme());
const workflows = snippets.flatMap((s) => {
  const id = /export default defineWorkflow\(\{\s*id: '([^']+)'/.exec(s.code)?.[1];
  return id === undefined ? [] : [{ id, line: s.line, code: s.code }];
});
const tests = snippets.filter((s) => s.code.includes("from 'vitest'"));

/** `harness simulate` on a free port, as a reader starts it in another terminal; resolves with its URL. */
function simulate(project: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('npx', ['--no', 'harness', 'simulate', '--port', '0'], { cwd: project, env: userEnv() });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) resolve({ url, child });
    });
    child.on('exit', (code) => reject(new Error(`harness simulate exited ${code}: ${out}`)));
  });
}

describe('the README examples, against harness simulate', { timeout: minutes(5) }, () => {
  const project = workDir('readme');
  let sim: { url: string; child: ChildProcess } | undefined;

  beforeAll(async () => {
    writeFiles(project, {
      'package.json': json({ name: 'readme-reader', private: true, type: 'module' }),
      ...Object.fromEntries(workflows.map((w) => [`machines/${w.id}.ts`, w.code])),
      ...Object.fromEntries(tests.map((t, i) => [`test/readme-${i + 1}.test.ts`, t.code])),
    });
    // The README's install line, then vitest for its test example.
    await ok('npm', [...install, tarball(), 'xstate', 'zod'], project);
    await ok('npm', [...install, '--save-dev', 'tsx', 'typescript', 'vitest'], project);
    sim = await simulate(project);
  }, minutes(10));

  afterAll(() => {
    sim?.child.kill('SIGINT');
  });

  it('has workflows and a test to run', () => {
    expect(workflows.map((w) => w.id)).toContain('contact');
    expect(tests.length).toBeGreaterThan(0);
  });

  it.each(workflows)('runs the $id workflow (README.md:$line) to done', async ({ id }) => {
    expect(inputs, `give README workflow "${id}" an input in this test`).toHaveProperty([id]);
    const run = await ok('npx', ['--no', 'harness', 'run', `machines/${id}.ts`, '--input', JSON.stringify(inputs[id])], project, { OLLAMA_HOST: sim?.url ?? '' });
    expect(run.stdout).toMatch(new RegExp(`^done {2}run ${id}-`, 'm'));
  });

  it('passes the README test example', async () => {
    const result = await ok('npx', ['--no', 'vitest', 'run'], project);
    expect(result.stdout).toMatch(new RegExp(`Tests +${tests.length} passed`));
  });
});
