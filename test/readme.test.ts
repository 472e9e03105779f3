// Every ```ts block of README.md type-checks against this repo's sources, imported as a user would: 'xstate-llm-harness'.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { readmeSnippets } from './helpers/readme.ts';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
// TypeScript 7 exports no bin/tsc subpath: find the package, then its bin.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

const src = (path: string) => [join(repoRoot, 'src', path)];
const tsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023', 'DOM'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    // The package's names, resolved to its sources as its `exports` resolve them to dist/ once installed.
    paths: {
      'xstate-llm-harness': src('index.ts'),
      'xstate-llm-harness/testing': src('testing/index.ts'),
      'xstate-llm-harness/check': src('check/index.ts'),
      'xstate-llm-harness/inspect': src('inspect/index.ts'),
      'xstate-llm-harness/postgres': src('store/postgres/store.ts'),
    },
  },
  include: ['*.ts'],
};

const dir = mkdtempSync(join(tmpdir(), 'harness-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('type-checks every ```ts snippet of README.md', async () => {
  const snippets = readmeSnippets(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
  expect(snippets.length).toBeGreaterThan(0);
  // xstate, zod, @types/node: the repo's own, as a user's project would have them installed.
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  // `export {}` makes each snippet a module of its own: no clashes between snippets, top-level await allowed.
  snippets.forEach((s, i) => writeFileSync(join(dir, `snippet-${i + 1}.ts`), `${s.code}\nexport {};\n`));

  const output = await new Promise<string>((resolve) => {
    execFile(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir }, (_error, stdout) => resolve(stdout));
  });
  // Each error as README.md:<line>: <message>, for snippets; errors in the sources are left as tsc prints them.
  const errors = output
    .split('\n')
    .filter((l) => l.includes('error TS'))
    .map((l) => {
      const at = /^snippet-(\d+)\.ts\((\d+),\d+\): (.*)$/.exec(l);
      const snippet = at ? snippets[Number(at[1]) - 1] : undefined;
      return at && snippet ? `README.md:${snippet.line + Number(at[2]) - 1}: ${at[3]}` : l;
    });
  expect(errors).toEqual([]);
}, 120_000);

it('takes ```ts blocks only, and leaves out those marked skip-check', () => {
  const markdown = ['# x', '```ts', 'const a = 1;', '```', '```sh', 'npm test', '```', '```ts skip-check', 'fragment(', '```', '```ts', 'b;', '```'].join('\n');
  expect(readmeSnippets(markdown)).toEqual([{ line: 3, code: 'const a = 1;' }, { line: 12, code: 'b;' }]);
});
