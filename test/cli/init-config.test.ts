// harness init (scaffold, refusal of a non-empty directory, --from), harness config (precedence), and the hint prefix.
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

  it('refuses a non-empty directory with exit 2 and writes nothing', async () => {
    const cwd = temp();
    const target = join(cwd, 'busy');
    mkdirSync(target);
    writeFileSync(join(target, 'notes.txt'), 'mine');
    const { code, stderr, stdout } = await cli(['init', 'busy'], cwd);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^harness: .*busy is not empty \(notes\.txt\); init writes only into an empty or new directory\n$/);
    expect(readdirSync(target)).toEqual(['notes.txt']);
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
