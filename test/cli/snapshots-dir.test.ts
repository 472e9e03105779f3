import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture, inProcess, repoRoot, tempDir, type Env, type Result } from './harness.ts';

const quick = fixture('quick.workflow.ts');
const run = ['run', quick, '--input', '{"question":"q"}', '--run-id', 'never'];

/** Exit 2, that one line on stderr (no help hint, no stack), nothing on stdout. */
function refusedOneLine(result: Result, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
}

/** Every file and directory under `dir`, to show that a refusal created nothing. */
function tree(dir: string, prefix = ''): string[] {
  // Not readdirSync's `recursive`: it would follow the link into /proc.
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const name = `${prefix}${entry.name}`;
    return entry.isDirectory() ? [name, ...tree(join(dir, entry.name), `${name}/`)] : [name];
  });
}

describe('--snapshots / HARNESS_SNAPSHOTS that cannot hold run files', () => {
  const place = tempDir();
  writeFileSync(join(place, 'file'), 'not a directory');
  symlinkSync(join(place, 'missing'), join(place, 'dangling'));
  symlinkSync('/proc', join(place, 'to-proc'));
  const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: join(place, 'unused') };

  const cases: [string, RegExp][] = [
    [join(place, 'file'), /: not a directory\n$/],
    [join(place, 'file', 'runs'), /: .*\/file is not a directory\n$/],
    [join(place, 'dangling'), /: a symbolic link to .*\/missing, which does not exist\n$/],
    [join(place, 'dangling', 'runs'), /: .*\/dangling is a symbolic link to .*\/missing, which does not exist\n$/],
    ['/proc/self/runs', /: run files cannot live under \/proc\n$/],
    ['/sys/kernel/runs', /: run files cannot live under \/sys\n$/],
    [join(place, 'to-proc', 'self', 'runs'), /: run files cannot live under \/proc \(it leads to \/proc\/\d+\)\n$/],
  ];

  it('are a usage error for commands that write and that read, before anything is created', async () => {
    const before = tree(place);
    for (const [dir, problem] of cases) {
      for (const argv of [run, ['ls'], ['show', 'r1'], ['cancel', 'r1'], ['resume', 'r1'], ['send', 'r1', 'APPROVE']]) {
        const byFlag = await inProcess([...argv, '--snapshots', dir], env);
        refusedOneLine(byFlag, new RegExp(`^harness: --snapshots ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}${problem.source}`));
        const byEnv = await inProcess(argv, env, { HARNESS_SNAPSHOTS: dir });
        refusedOneLine(byEnv, new RegExp(`^harness: HARNESS_SNAPSHOTS .*${problem.source}`));
      }
    }
    expect(tree(place)).toEqual(before);
  });

  it('leaves reading commands working on a directory that does not exist yet, and creates nothing', async () => {
    const missing = join(place, 'not-yet', 'runs');
    const ls = await inProcess(['ls', '--snapshots', missing], env);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toBe(`no runs in ${missing}\n`);
    const show = await inProcess(['show', 'r1', '--snapshots', missing], env);
    expect(show.code).toBe(2);
    expect(show.stderr).toBe(`harness: no run r1 in ${missing}\n`);
    expect(tree(place)).not.toContain('not-yet');
  });
});

/**
 * As root every directory is writable, so the CLI runs as `nobody`; that user must be able to read this checkout
 * (a clone under a private temp directory is not), else the check cannot be made here and says so.
 */
const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : null;
const nobodyCannotRead =
  asNobody !== null && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(repoRoot, 'bin/harness.js'))})`], asNobody).status !== 0;
if (nobodyCannotRead) console.info(`skipped: user nobody cannot read ${repoRoot}, so an unwritable directory cannot be shown to a non-root CLI`);

describe.skipIf(nobodyCannotRead)('a snapshots directory this process cannot write', { timeout: 60_000 }, () => {
  it('is refused for run (exit 2, one line, nothing created) while ls can still read it', async () => {
    const parent = tempDir();
    chmodSync(parent, 0o755); // reachable by the other user, so only the directory's own mode refuses it
    const readOnly = join(parent, 'read-only');
    mkdirSync(readOnly);
    chmodSync(readOnly, 0o555);
    // root writes anywhere: run the CLI as nobody then, as a user who is refused by the directory's mode.
    const asUser = asNobody ?? {};
    const spawned = (args: string[]) =>
      new Promise<Result>((resolve, reject) => {
        const child = spawn(process.execPath, ['bin/harness.js', ...args], {
          cwd: repoRoot,
          env: { ...process.env, OLLAMA_HOST: 'http://127.0.0.1:9', NO_COLOR: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
          ...asUser,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.once('error', reject);
        child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    const runs = join(readOnly, 'runs');
    const refused = await spawned([...run, '--snapshots', runs]);
    refusedOneLine(refused, new RegExp(`^harness: --snapshots ${runs}: ${readOnly} is not writable\\n$`));
    expect(readdirSync(readOnly)).toEqual([]);
    const ls = await spawned(['ls', '--snapshots', runs]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toBe(`no runs in ${runs}\n`);
  });
});
