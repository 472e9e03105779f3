// `harness init [dir]`: scaffolds a project that depends on this package, with one workflow and its simulator test.
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type CliIO, type Command, ExitCode, parseFlags, SettingError, UsageError } from '../command.ts';
import { ownPackage } from '../own-package.ts';
import { checkSnapshotsDir } from '../snapshots-dir.ts';
import { scaffoldFiles } from '../scaffold/project.ts';

const help = `Usage: harness init [dir] [--from <spec>]

Creates a project in dir (default: the current directory), which must be empty or not exist yet:
package.json (this package, xstate and zod; typescript, vitest and tsx to develop), tsconfig.json,
machines/triage.ts (a workflow with a schema, a scorer and a model ladder), test/triage.test.ts (it,
against the simulator) and a README. Then: npm install && npm test.

Options:
  --from <spec>  how package.json depends on xstate-llm-harness: a version range (default ^<this version>),
                 a tarball or directory path (relative to here), or any npm spec such as github:owner/repo`;

/** npm's rules, loosely: lower case, no spaces; a directory name that is not one becomes `harness-project`. */
function projectName(dir: string): string {
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '');
  return name === '' ? 'harness-project' : name;
}

/** A path given as --from (to a tarball or a checkout) becomes a `file:` spec relative to the new project. */
export function dependencySpec(from: string, cwd: string, target: string): string {
  const path = from.startsWith('file:') ? from.slice('file:'.length) : from;
  const looksLikePath = from.startsWith('file:') || /^(?:\.{1,2}(?:[\\/]|$)|[\\/])/.test(from) || /\.t(?:ar\.)?gz$/.test(from);
  if (!looksLikePath) return from;
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  if (!existsSync(absolute)) throw new UsageError(`--from ${from}: no such file or directory`);
  const fromTarget = relative(target, absolute) || '.';
  return `file:${fromTarget.startsWith('.') ? fromTarget : `./${fromTarget}`}`;
}

export const initCommand: Command = {
  name: 'init',
  summary: 'create a project: a workflow, its simulator test, package.json and tsconfig',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { from: { type: 'string' } });
    if (positionals.length > 1) throw new UsageError(`init takes at most one directory, got "${positionals.join(' ')}"`);
    const target = resolve(io.cwd, positionals[0] ?? '.');
    // Before any mkdir: a recursive one loops forever under /proc, and a file in the way is one line, not a stack.
    checkSnapshotsDir(target, 'write', 'init', 'a project');
    if (existsSync(target)) {
      if (!statSync(target).isDirectory()) throw new SettingError(`${target} is not a directory`);
      const entries = readdirSync(target);
      if (entries.length > 0) {
        throw new SettingError(`${target} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); init writes only into an empty or new directory`);
      }
    }
    const own = ownPackage();
    const from = values.from !== undefined ? dependencySpec(values.from, io.cwd, target) : `^${own.version}`;
    const files = scaffoldFiles({ name: projectName(target), from, own });
    for (const [path, content] of Object.entries(files)) {
      const file = join(target, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
    }
    const shown = relative(io.cwd, target) || '.';
    const cd = shown === '.' ? '' : `cd ${shown} && `;
    io.stdout.write(
      `created ${shown}: ${Object.keys(files).join(', ')}\n` +
        `next: ${cd}npm install && npm test\n` +
        `then: npx harness run machines/triage.ts --input '{"ticket":"…"}' (against Ollama at OLLAMA_HOST)\n`,
    );
    return ExitCode.ok;
  },
};
