// The example workflows this package ships: which files make each one, and their imports as a user's project writes
// them. A checkout keeps them in machines/ (importing ../src/…); the build writes the package's examples/ from there.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { OwnPackage } from '../own-package.ts';

/**
 * The public entry for each source module an example may import. The root re-exports the steps and scorers a
 * workflow uses; any other module under src/ is not part of the package's API, so an example importing it is a bug.
 */
const publicEntries: Record<string, string> = {
  'index.ts': 'xstate-llm-harness',
  'steps/index.ts': 'xstate-llm-harness',
  'score/index.ts': 'xstate-llm-harness',
  'testing/index.ts': 'xstate-llm-harness/testing',
  'check/index.ts': 'xstate-llm-harness/check',
  'inspect/index.ts': 'xstate-llm-harness/inspect',
  'telemetry/index.ts': 'xstate-llm-harness/telemetry',
  'store/postgres/store.ts': 'xstate-llm-harness/postgres',
};

/** What an example is run with that it does not import: sample inputs, and the demo's simulator script. */
const samples: Record<string, string[]> = {
  'code-review': ['samples/review-replies.ts', 'samples/sample.diff'],
  extract: ['samples/invoice-input.json'],
};

/** `from '../src/steps/index.ts'` (any depth of `../`): the module path under src/ is the capture. */
const sourceImport = /(from\s+|import\s*\(\s*)(['"])(?:\.\.\/)+src\/([^'"]+)\2/g;
/** A relative import of another file of the examples (`./repo-qa/tools.ts`). */
const localImport = /(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Thrown for an example name that is not shipped, or an example that imports a module the package does not export. */
export class ExampleError extends Error {
  override name = 'ExampleError';
}

/** Where the examples are: machines/ in a checkout, examples/ in the installed package. */
export function examplesDir(own: Pick<OwnPackage, 'dir' | 'checkout'>): string {
  return join(own.dir, own.checkout ? 'machines' : 'examples');
}

/** The examples' names: every workflow module at the top of the directory. */
export function exampleNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

/** An example's source as a user's project writes it: imports of our sources become imports of the package. */
export function publicSource(source: string, file: string): string {
  return source.replace(sourceImport, (_match, keyword: string, quote: string, path: string) => {
    const entry = publicEntries[path];
    if (entry === undefined) throw new ExampleError(`${file} imports src/${path}, which xstate-llm-harness does not export`);
    return `${keyword}${quote}${entry}${quote}`;
  });
}

/** The files of one example, relative to the examples directory: the workflow, what it imports locally, its samples. */
export function exampleFiles(dir: string, name: string): string[] {
  const names = exampleNames(dir);
  if (!names.includes(name)) {
    throw new ExampleError(`no example named "${name}"; the examples are ${names.join(', ') || '(none: this copy ships no examples)'}`);
  }
  const files = [`${name}.ts`];
  for (let i = 0; i < files.length; i++) {
    const file = files[i] as string;
    for (const [, spec] of readFileSync(join(dir, file), 'utf8').matchAll(localImport)) {
      const local = posix.normalize(posix.join(posix.dirname(file), spec as string));
      if (!local.startsWith('../') && !files.includes(local)) files.push(local);
    }
  }
  return [...files, ...(samples[name] ?? []).filter((file) => existsSync(join(dir, file)))];
}

/** Every example's files with public imports: path relative to the examples directory → content. */
export function publicExamples(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of exampleNames(dir)) {
    for (const file of exampleFiles(dir, name)) {
      if (out.has(file)) continue;
      const content = readFileSync(join(dir, file), 'utf8');
      out.set(file, file.endsWith('.ts') ? publicSource(content, file) : content);
    }
  }
  return out;
}

/** Writes the package's examples/ from a checkout's machines/ (the build calls this). */
export function writePublicExamples(from: string, to: string): string[] {
  const written: string[] = [];
  for (const [file, content] of publicExamples(from)) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    writeFileSync(join(to, file), content);
    written.push(file);
  }
  return written;
}

/** A relative import written with `.ts`: `from './repo-qa/tools.ts'`. */
const relativeTsImport = /((?:from\s+|import\s*\(\s*)(['"])\.{1,2}\/[^'"]+)\.ts\2/g;

/**
 * An example file as a project whose workflows are `ext` files holds it: `.mts` in a CommonJS project. Its relative
 * imports name `.js`/`.mjs`, which TypeScript (NodeNext), tsx and vitest map to the source: no tsconfig flag needed.
 */
export function exampleForProject(dir: string, file: string, ext: '.ts' | '.mts'): { path: string; content: string } {
  const content = readFileSync(join(dir, file), 'utf8');
  if (!file.endsWith('.ts')) return { path: file, content };
  const runtimeExt = ext === '.ts' ? '.js' : '.mjs';
  return {
    path: `${file.slice(0, -'.ts'.length)}${ext}`,
    content: publicSource(content, file).replace(relativeTsImport, (_m, head: string, quote: string) => `${head}${runtimeExt}${quote}`),
  };
}
