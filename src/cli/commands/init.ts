// `harness init [dir]`: makes a project that depends on this package (one workflow and its simulator test), or adds
// what an existing project lacks; never replaces a file. `--example` copies shipped examples in as well.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type CliIO, type Command, ExitCode, parseFlags, SettingError, UsageError } from '../command.ts';
import { ownPackage } from '../own-package.ts';
import { checkSnapshotsDir } from '../snapshots-dir.ts';
import { exampleFiles, exampleForProject, examplesDir, ExampleError } from '../scaffold/examples.ts';
import { fileSpec, ownOrigin } from '../scaffold/origin.ts';
import {
  completeGitignore,
  completePackageJson,
  completeTsconfig,
  ProjectFileError,
  scaffoldFiles,
  type Completion,
  type ModuleExt,
} from '../scaffold/project.ts';

const help = `Usage: harness init [dir] [--from <spec>] [--example <name>]…

Makes dir (default: the current directory) a project that runs workflows: package.json (this package,
xstate and zod; typescript, vitest and tsx to develop), tsconfig.json, machines/triage.ts (a workflow with a
schema, a scorer and a model ladder), test/triage.test.ts (it, against the simulator) and, in a new
project, a README. Then: npm install && npm test.

In a directory that already has files (a project where you just ran npm install), init adds only what is
missing and never replaces a file: absent package.json entries, "module": "NodeNext" in a tsconfig.json
that sets no module, the workflow and its test; it lists what it skipped. A package.json without
"type": "module" (npm init's) is kept as it is, and the workflows are written as .mts files instead.

Options:
  --from <spec>     how package.json depends on xstate-llm-harness: a version range, a tarball or directory
                    path (relative to here), or any npm spec such as a git URL. Default: where this copy
                    came from (the tarball, directory or git URL it was installed from; a checkout itself)
  --example <name>  also copy a shipped example workflow into machines/ (its imports made the package's):
                    code-review, extract, feature-pipeline, long-read, repo-qa; repeat it for several`;

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
  return fileSpec(absolute, target);
}

/** ES modules where the project says so (or is new); `.mts` where its package.json keeps CommonJS. */
function moduleExt(packageJsonText: string | undefined): ModuleExt {
  if (packageJsonText === undefined) return '.ts';
  try {
    const pkg: unknown = JSON.parse(packageJsonText);
    return typeof pkg === 'object' && pkg !== null && 'type' in pkg && pkg.type === 'module' ? '.ts' : '.mts';
  } catch {
    return '.ts'; // refused below with the reason, before anything is written
  }
}

/** The spec an existing package.json already gives this package (installed before init): init keeps it. */
function keptDependency(packageJsonText: string | undefined): string | undefined {
  if (packageJsonText === undefined) return undefined;
  const pkg: unknown = JSON.parse(packageJsonText);
  const deps = typeof pkg === 'object' && pkg !== null && 'dependencies' in pkg ? pkg.dependencies : undefined;
  const spec = typeof deps === 'object' && deps !== null && 'xstate-llm-harness' in deps ? deps['xstate-llm-harness'] : undefined;
  return typeof spec === 'string' ? spec : undefined;
}

const completers: Record<string, (text: string, options: Parameters<typeof completePackageJson>[1]) => Completion> = {
  'package.json': completePackageJson,
  'tsconfig.json': (text) => completeTsconfig(text),
  '.gitignore': (text) => completeGitignore(text),
};

export const initCommand: Command = {
  name: 'init',
  summary: 'make or complete a project: a workflow, its simulator test, package.json and tsconfig',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseFlags(argv, { from: { type: 'string' }, example: { type: 'string', multiple: true } });
    if (positionals.length > 1) throw new UsageError(`init takes at most one directory, got "${positionals.join(' ')}"`);
    const target = resolve(io.cwd, positionals[0] ?? '.');
    // Before any mkdir: a recursive one loops forever under /proc, and a file in the way is one line, not a stack.
    checkSnapshotsDir(target, 'write', 'init', 'a project');
    if (existsSync(target) && !statSync(target).isDirectory()) throw new SettingError(`${target} is not a directory`);
    const own = ownPackage();
    const origin = values.from !== undefined ? { spec: dependencySpec(values.from, io.cwd, target) } : ownOrigin(own, target);

    const read = (path: string) => (existsSync(join(target, path)) ? readFileSync(join(target, path), 'utf8') : undefined);
    const packageJson = read('package.json');
    const fresh = packageJson === undefined;
    const ext = moduleExt(packageJson);
    const options = { name: projectName(target), from: origin.spec, own, ext };
    const files = scaffoldFiles(options);
    if (!fresh) delete files['README.md']; // the project's own README is not ours to write

    const examples = examplesDir(own);
    for (const name of values.example ?? []) {
      let names: string[];
      try {
        names = exampleFiles(examples, name);
      } catch (error) {
        if (error instanceof ExampleError) throw new UsageError(`--example: ${error.message}`);
        throw error;
      }
      for (const file of names) {
        const { path, content } = exampleForProject(examples, file, ext);
        files[`machines/${path}`] = content;
      }
    }

    // Everything is decided before anything is written: a package.json init cannot read stops it with no change.
    const created: [string, string][] = [];
    const updated: [string, string, string[]][] = [];
    const skipped: string[] = [];
    const notes: string[] = [];
    for (const [path, content] of Object.entries(files)) {
      const existing = read(path);
      if (existing === undefined) {
        created.push([path, content]);
        continue;
      }
      const complete = completers[path];
      if (!complete) {
        if (existing !== content) skipped.push(path);
        continue;
      }
      let completion: Completion;
      try {
        completion = complete(existing, options);
      } catch (error) {
        if (error instanceof ProjectFileError) throw new SettingError(`${join(target, path)}: ${error.message}`);
        throw error;
      }
      notes.push(...completion.notes);
      if (completion.text !== undefined) updated.push([path, completion.text, completion.added]);
    }

    for (const [path, content] of created) {
      const file = join(target, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content, { flag: 'wx' });
    }
    for (const [path, content] of updated) writeFileSync(join(target, path), content);

    const shown = relative(io.cwd, target) || '.';
    const out: string[] = [];
    if (fresh) out.push(`created ${shown}: ${created.map(([path]) => path).join(', ')}`);
    else if (created.length > 0) out.push(`added to ${shown}: ${created.map(([path]) => path).join(', ')}`);
    for (const [path, , added] of updated) out.push(`updated ${path}: ${added.join('; ')}`);
    if (!fresh && created.length === 0 && updated.length === 0) out.push(`nothing to add to ${shown}: it has everything init writes`);
    if (skipped.length > 0) out.push(`skipped (already there, left as it is): ${skipped.join(', ')}`);
    if (!fresh && ext === '.mts') out.push('package.json keeps CommonJS (no "type": "module"): the workflows are .mts files, ES modules');
    out.push(...notes);
    const kept = keptDependency(packageJson);
    if (kept !== undefined) out.push(`depends on xstate-llm-harness ${kept} (kept)`);
    else out.push(`depends on xstate-llm-harness ${origin.spec}${origin.note !== undefined ? `: ${origin.note}` : ''}`);
    const cd = shown === '.' ? '' : `cd ${shown} && `;
    out.push(
      `next: ${cd}npm install && npm test`,
      `then: npx harness run machines/triage${ext} --input '{"ticket":"…"}' (against Ollama at OLLAMA_HOST, or npx harness simulate)`,
    );
    io.stdout.write(`${out.join('\n')}\n`);
    return ExitCode.ok;
  },
};
