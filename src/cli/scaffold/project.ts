// The files of a project made or completed by `harness init`: everything a new project gets, and, for a file a
// project already has, only what it lacks (package.json entries, a tsconfig setting, .gitignore lines).
import type { OwnPackage } from '../own-package.ts';
import { addToObject, parseJsonc } from './jsonc.ts';
import { testFile, workflowFile } from './workflow.ts';

/** `.mts` where the project's package.json keeps CommonJS (no "type": "module"): workflows must be ES modules. */
export type ModuleExt = '.ts' | '.mts';

export interface ScaffoldOptions {
  /** The package.json name of the project. */
  name: string;
  /** How the project depends on this package: a version range, a `file:` path, a git or tarball URL. */
  from: string;
  own: OwnPackage;
  ext: ModuleExt;
}

/** A range of ours for `name`, else `fallback` (a checkout lists every tool; the ranges are what we test with). */
const rangeOf = (deps: Record<string, string>, name: string, fallback: string) => deps[name] ?? fallback;

type Section = 'dependencies' | 'devDependencies' | 'scripts';

/** What package.json must hold, section by section. */
function wantedEntries({ from, own, ext }: ScaffoldOptions): Record<Section, Record<string, string>> {
  const dev = own.devDependencies;
  return {
    dependencies: {
      [own.name]: from,
      xstate: rangeOf(own.peerDependencies, 'xstate', '^5'),
      zod: rangeOf(own.peerDependencies, 'zod', '^4'),
    },
    devDependencies: {
      // The same range as ours, so npm keeps one copy: our declarations reference it.
      '@types/node': rangeOf(own.dependencies, '@types/node', '>=20'),
      tsx: rangeOf(dev, 'tsx', '^4'),
      typescript: rangeOf(dev, 'typescript', '^5.9'),
      vitest: rangeOf(dev, 'vitest', '^4'),
    },
    scripts: {
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      check: `harness check machines/*${ext}`,
    },
  };
}

/** What `npm init` writes as the test script: a placeholder, replaced like a missing one. */
const npmPlaceholderTest = 'echo "Error: no test specified" && exit 1';

export const newTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    types: ['node'],
    // Workflows run from source (harness run, vitest): nothing is emitted.
    noEmit: true,
  },
  include: ['machines', 'test'],
};

/** The files of a new project: path → content. */
export function scaffoldFiles(options: ScaffoldOptions): Record<string, string> {
  const { name, own, ext } = options;
  const packageJson = { name, version: '0.0.0', private: true, type: 'module', ...wantedEntries(options) };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(newTsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules/\nsnapshots/\n',
    'README.md':
      `# ${name}\n\nLLM workflows on ${own.name}: \`npm test\` runs machines/triage${ext} against the simulator, offline.\n` +
      `Against Ollama: \`npx harness run machines/triage${ext} --input '{"ticket":"…"}'\` (OLLAMA_HOST, default localhost:11434).\n`,
    [`machines/triage${ext}`]: workflowFile,
    [`test/triage.test${ext}`]: testFile(ext),
  };
}

/** Thrown when a file init must complete cannot be read (it is left untouched). */
export class ProjectFileError extends Error {
  override name = 'ProjectFileError';
}

export interface Completion {
  /** The new text, or undefined when nothing is missing. */
  text: string | undefined;
  /** What was added, for the user: `dependencies xstate, zod`. */
  added: string[];
  /** What is there but does not fit, left as it is. */
  notes: string[];
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.fromEntries(Object.entries(value)) : undefined;

/** An existing package.json with our dependencies, tools and scripts added where absent; no value is changed. */
export function completePackageJson(text: string, options: ScaffoldOptions): Completion {
  let pkg: Record<string, unknown> | undefined;
  try {
    pkg = asRecord(JSON.parse(text));
  } catch (error) {
    throw new ProjectFileError(`package.json is not valid JSON (${error instanceof Error ? error.message : String(error)}); fix it, then run init again`);
  }
  if (!pkg) throw new ProjectFileError('package.json does not hold a JSON object; fix it, then run init again');
  const added: string[] = [];
  const notes: string[] = [];
  for (const [section, entries] of Object.entries(wantedEntries(options))) {
    const current = asRecord(pkg[section]) ?? {};
    const missing = Object.keys(entries).filter((key) => current[key] === undefined || (section === 'scripts' && key === 'test' && current[key] === npmPlaceholderTest));
    for (const key of Object.keys(entries).filter((k) => !missing.includes(k) && section === 'scripts' && current[k] !== entries[k])) {
      notes.push(`package.json: kept your "${key}" script; ours would be: ${entries[key]}`);
    }
    if (missing.length === 0) continue;
    pkg[section] = { ...current, ...Object.fromEntries(missing.map((key) => [key, entries[key]])) };
    added.push(`${section} ${missing.join(', ')}`);
  }
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  return { text: added.length > 0 ? `${JSON.stringify(pkg, null, indent)}\n` : undefined, added, notes };
}

/** Module settings under which TypeScript resolves a package's `exports` (how our entry points are declared). */
const resolvesExports = (compilerOptions: Record<string, unknown>): boolean | undefined => {
  const lower = (key: string) => (typeof compilerOptions[key] === 'string' ? String(compilerOptions[key]).toLowerCase() : undefined);
  const resolution = lower('moduleResolution');
  if (resolution !== undefined) return ['node16', 'nodenext', 'bundler'].includes(resolution);
  const module = lower('module');
  if (module !== undefined) return ['node16', 'node18', 'node20', 'nodenext', 'preserve'].includes(module);
  return undefined;
};

/**
 * An existing tsconfig.json (comments kept) with `"module": "NodeNext"` added when it sets neither module nor
 * moduleResolution (TypeScript 5's default cannot resolve the package); settings that do not fit are reported.
 */
export function completeTsconfig(text: string): Completion {
  let config: Record<string, unknown> | undefined;
  try {
    config = asRecord(parseJsonc(text));
  } catch {
    config = undefined;
  }
  if (!config) return { text: undefined, added: [], notes: ['tsconfig.json: not readable as JSON, left as it is; it needs "module": "NodeNext"'] };
  const options = asRecord(config.compilerOptions) ?? {};
  const notes: string[] = [];
  const include = Array.isArray(config.include) ? config.include.map(String) : undefined;
  const covers = (dir: string) => include === undefined || include.some((p) => p === '.' || p.startsWith('*') || p.startsWith(dir) || p.startsWith(`./${dir}`));
  const uncovered = ['machines', 'test'].filter((dir) => !covers(dir));
  if (uncovered.length > 0) notes.push(`tsconfig.json: "include" leaves out ${uncovered.join(' and ')}/ (kept as it is)`);
  const fits = resolvesExports(options);
  if (fits === false) {
    notes.push(
      `tsconfig.json: "module" ${JSON.stringify(options.module ?? null)} / "moduleResolution" ${JSON.stringify(options.moduleResolution ?? null)} ` +
        'cannot resolve the package\'s exports; use "module": "NodeNext" (kept as it is)',
    );
  }
  if (fits !== undefined) return { text: undefined, added: [], notes };
  return { text: addToObject(text, 'compilerOptions', { module: 'NodeNext' }), added: ['compilerOptions.module "NodeNext"'], notes };
}

/** An existing .gitignore with the lines we need appended where absent. */
export function completeGitignore(text: string): Completion {
  const lines = text.split('\n').map((line) => line.trim().replace(/^\/|\/$/g, ''));
  const missing = ['node_modules', 'snapshots'].filter((entry) => !lines.includes(entry));
  if (missing.length === 0) return { text: undefined, added: [], notes: [] };
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return { text: `${text}${sep}${missing.map((entry) => `${entry}/\n`).join('')}`, added: missing.map((entry) => `${entry}/`), notes: [] };
}
