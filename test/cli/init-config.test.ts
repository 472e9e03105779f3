// harness init (a new project, completing an existing one, --from, --example), harness config (precedence), and the hint prefix.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dependencySpec } from '../../src/cli/commands/init.ts';
import { runCli } from '../../src/cli/dispatch.ts';
import { harnessCommand } from '../../src/cli/invocation.ts';
import { commands } from '../../src/cli/registry.ts';
import { captureIO } from '../helpers/cli-io.ts';

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'harness-init-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const io = { ...captureIO(cwd), env: { PATH: process.env.PATH, ...env } };
  const code = await runCli(commands, args, io);
  return { code, stdout: io.out(), stderr: io.err() };
}

describe('harness init', () => {
  it('scaffolds a project in a new directory, depending on the given spec', async () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'harness.tgz'), '');
    const { code, stdout } = await cli(['init', 'my app', '--from', './harness.tgz'], cwd);
    expect(code).toBe(0);
    expect(stdout).toContain('next: cd my app && npm install && npm test');
    const made = join(cwd, 'my app');
    expect(readdirSync(made).sort()).toEqual(['.gitignore', 'README.md', 'machines', 'package.json', 'test', 'tsconfig.json']);
    const pkg = JSON.parse(readFileSync(join(made, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.name).toBe('my-app');
    expect(pkg.dependencies).toMatchObject({ 'xstate-llm-harness': 'file:../harness.tgz', xstate: expect.any(String), zod: expect.any(String) });
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['typescript', 'vitest', 'tsx']));
    expect(readFileSync(join(made, 'machines/triage.ts'), 'utf8')).toContain("from 'xstate-llm-harness'");
    expect(readFileSync(join(made, 'test/triage.test.ts'), 'utf8')).toContain("from 'xstate-llm-harness/testing'");
  });

  it('adds to a directory with files what it lacks, and leaves every file it has as it was', async () => {
    const cwd = temp();
    const target = join(cwd, 'busy');
    mkdirSync(join(target, 'machines'), { recursive: true });
    writeFileSync(join(target, 'notes.txt'), 'mine');
    writeFileSync(join(target, 'machines/triage.ts'), '// my own triage\n');
    const { code, stdout } = await cli(['init', 'busy', '--from', '^0.1.0'], cwd);
    expect(code).toBe(0);
    // No package.json yet: a new project, whatever else the directory holds.
    expect(stdout).toMatch(/^created busy: package\.json, tsconfig\.json, \.gitignore, README\.md, test\/triage\.test\.ts\n/);
    expect(stdout).toContain('skipped (already there, left as it is): machines/triage.ts');
    expect(readFileSync(join(target, 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(target, 'machines/triage.ts'), 'utf8')).toBe('// my own triage\n');
  });

  it('completes an npm init project: .mts workflows, package.json entries added, its own values and comments kept', async () => {
    const cwd = temp();
    const npmInit = { name: 'app', version: '1.0.0', main: 'index.js', scripts: { test: 'echo "Error: no test specified" && exit 1', lint: 'eslint .' }, type: 'commonjs' };
    writeFileSync(join(cwd, 'package.json'), `${JSON.stringify(npmInit, null, 2)}\n`);
    writeFileSync(join(cwd, 'tsconfig.json'), '{\n  // mine\n  "compilerOptions": {\n    "strict": true,\n  },\n}\n');
    const { code, stdout } = await cli(['init', '--from', '^0.1.0'], cwd);
    expect(code).toBe(0);
    expect(stdout).toContain('added to .: .gitignore, machines/triage.mts, test/triage.test.mts\n');
    expect(stdout).toContain('updated package.json: dependencies xstate-llm-harness, xstate, zod; devDependencies @types/node, tsx, typescript, vitest; scripts test, typecheck, check\n');
    expect(stdout).toContain('updated tsconfig.json: compilerOptions.module "NodeNext"\n');
    expect(stdout).toContain('next: npm install && npm test\n');
    const pkg = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg).toMatchObject({ type: 'commonjs', main: 'index.js', scripts: { test: 'vitest run', lint: 'eslint .', check: 'harness check machines/*.mts' } });
    expect(pkg).toMatchObject({ dependencies: { 'xstate-llm-harness': '^0.1.0' } });
    const tsconfig = readFileSync(join(cwd, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toContain('// mine');
    expect(tsconfig).toMatch(/"module": "NodeNext",\n\s*"strict": true/);
    expect(readFileSync(join(cwd, 'test/triage.test.mts'), 'utf8')).toContain("from '../machines/triage.mjs'");
    expect(readdirSync(cwd).sort()).toEqual(['.gitignore', 'machines', 'package.json', 'test', 'tsconfig.json']);

    const again = await cli(['init'], cwd);
    expect(again.stdout).toContain('nothing to add to .: it has everything init writes\n');
    expect(again.stdout).toContain('depends on xstate-llm-harness ^0.1.0 (kept)\n');
  });

  it('keeps a script of the same name and a module setting that does not fit, and says so', async () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ name: 'app', type: 'module', scripts: { test: 'jest' } }));
    writeFileSync(join(cwd, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs' }, include: ['src'] }));
    const { stdout } = await cli(['init', '--from', '^0.1.0'], cwd);
    expect(stdout).toContain('package.json: kept your "test" script; ours would be: vitest run\n');
    expect(stdout).toContain('tsconfig.json: "include" leaves out machines and test/ (kept as it is)\n');
    expect(stdout).toContain('tsconfig.json: "module" "commonjs" / "moduleResolution" null cannot resolve the package\'s exports; use "module": "NodeNext" (kept as it is)\n');
    expect(JSON.parse(readFileSync(join(cwd, 'tsconfig.json'), 'utf8'))).toEqual({ compilerOptions: { module: 'commonjs' }, include: ['src'] });
    // An ES module project keeps .ts workflows.
    expect(readdirSync(join(cwd, 'machines'))).toEqual(['triage.ts']);
  });

  it('refuses a package.json it cannot read with exit 2, writing nothing', async () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'package.json'), '{ "name": ');
    const { code, stdout, stderr } = await cli(['init', '--from', '^0.1.0'], cwd);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^harness: .*package\.json: package\.json is not valid JSON \(.*\); fix it, then run init again\n$/);
    expect(readdirSync(cwd)).toEqual(['package.json']);
  });

  it('copies shipped examples with --example, their imports those of a project, and refuses an unknown one', async () => {
    const cwd = temp();
    const { code, stdout } = await cli(['init', 'app', '--from', '^0.1.0', '--example', 'repo-qa', '--example', 'extract'], cwd);
    expect(code).toBe(0);
    expect(stdout).toContain('machines/repo-qa.ts, machines/repo-qa/tools.ts, machines/repo-qa/confine.ts, machines/repo-qa/walk.ts, machines/extract.ts, machines/samples/invoice-input.json');
    const repoQa = readFileSync(join(cwd, 'app/machines/repo-qa.ts'), 'utf8');
    expect(repoQa).toContain("from 'xstate-llm-harness'");
    expect(repoQa).toContain("from './repo-qa/tools.js'");
    expect(repoQa).not.toMatch(/src\/|\.ts'/);
    const unknown = await cli(['init', 'other', '--example', 'nope'], cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^harness: --example: no example named "nope"; the examples are code-review, extract, feature-pipeline, long-read, repo-qa\n/);
    expect(readdirSync(cwd)).toEqual(['app']);
  });

  it('turns a path given as --from into a file: spec relative to the new project, and keeps a range as it is', () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'pkg.tgz'), '');
    expect(dependencySpec('pkg.tgz', cwd, join(cwd, 'a/b'))).toBe('file:../../pkg.tgz');
    expect(dependencySpec('.', cwd, join(cwd, 'a'))).toBe('file:..');
    expect(dependencySpec('^0.1.0', cwd, join(cwd, 'a'))).toBe('^0.1.0');
    expect(dependencySpec('github:owner/repo', cwd, join(cwd, 'a'))).toBe('github:owner/repo');
    expect(() => dependencySpec('./missing.tgz', cwd, join(cwd, 'a'))).toThrow(/no such file/);
  });
});

describe('harness config', () => {
  it('takes flags first, then the environment, then harness.config.json, then the defaults, and says which', async () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'harness.config.json'), JSON.stringify({ snapshots: 'runs', hosts: ['gpu1:11434*4', 'gpu2:11434'], hostConcurrency: 3, parkAfterMs: 5000, stopGraceMs: 900 }));
    const fromFile = await cli(['config', '--json'], cwd);
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toEqual({
      file: 'harness.config.json',
      settings: {
        snapshots: { value: join(cwd, 'runs'), source: 'harness.config.json' },
        hosts: { value: ['http://gpu1:11434*4', 'http://gpu2:11434'], source: 'harness.config.json' },
        hostConcurrency: { value: 3, source: 'harness.config.json' },
        parkAfterMs: { value: 5000, source: 'harness.config.json' },
        stopGraceMs: { value: 900, source: 'harness.config.json' },
      },
    });
    const overridden = await cli(['config', '--snapshots', 'flagged', '--park-after', '7', '--stop-grace-ms', '8'], cwd, {
      HARNESS_SNAPSHOTS: 'env-runs',
      OLLAMA_HOST: 'box:11434',
      HARNESS_HOST_CONCURRENCY: '2',
    });
    expect(overridden.stdout).toBe(
      [
        'config file: harness.config.json',
        `snapshots       ${join(cwd, 'flagged')}  (--snapshots)`,
        'hosts           http://box:11434  (OLLAMA_HOST)',
        'hostConcurrency 2  (HARNESS_HOST_CONCURRENCY)',
        'parkAfterMs     7  (--park-after)',
        'stopGraceMs     8  (--stop-grace-ms)',
        '',
      ].join('\n'),
    );
  });

  it('reads a harness.config.ts, and refuses an unknown key in one line', async () => {
    const cwd = temp();
    // An ES module project: a .ts config in a CommonJS one is refused (see the CommonJS test below).
    writeFileSync(join(cwd, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(cwd, 'harness.config.ts'), "const config: { snapshots: string } = { snapshots: 'ts-runs' };\nexport default config;\n");
    const ts = await cli(['config'], cwd);
    expect(ts.stdout).toContain(`snapshots       ${join(cwd, 'ts-runs')}  (harness.config.ts)`);
    rmSync(join(cwd, 'harness.config.ts'));
    writeFileSync(join(cwd, 'harness.config.json'), JSON.stringify({ snapshot: 'typo' }));
    const bad = await cli(['config'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^harness: harness\.config\.json: .*snapshot/);
  });
});

describe('the command printed in follow-up hints', () => {
  it('is npx harness for a project-local install not on PATH, else harness', () => {
    const local = '/home/u/app/node_modules/.bin/harness';
    expect(harnessCommand(local, { PATH: '/home/u/app/node_modules/.bin:/usr/bin' })).toBe('npx harness');
    expect(harnessCommand('/work/harness/bin/harness.js', { PATH: '/usr/bin' })).toBe('harness');
    const bin = temp();
    writeFileSync(join(bin, 'harness'), '');
    expect(harnessCommand(local, { PATH: `/home/u/app/node_modules/.bin:${bin}` })).toBe('harness');
  });
});
