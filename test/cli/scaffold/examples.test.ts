// The shipped examples: machines/ with imports a user's project writes, complete (what each imports travels with it)
// and type-checking as a project would compile them, the package's names resolved to this checkout's sources.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleFiles, exampleForProject, exampleNames, publicExamples, publicSource } from '../../../src/cli/scaffold/examples.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const machines = join(repoRoot, 'machines');
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
const dir = mkdtempSync(join(tmpdir(), 'harness-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the examples', () => {
  it('are every workflow of machines/, each with the files it imports and its samples', () => {
    expect(exampleNames(machines)).toEqual(['code-review', 'extract', 'feature-pipeline', 'long-read', 'repo-qa']);
    expect(exampleFiles(machines, 'repo-qa')).toEqual(['repo-qa.ts', 'repo-qa/tools.ts', 'repo-qa/confine.ts', 'repo-qa/walk.ts']);
    expect(exampleFiles(machines, 'code-review')).toEqual(['code-review.ts', 'samples/review-replies.ts', 'samples/sample.diff']);
  });

  it('import only what the package exports, and refuse anything else', () => {
    expect(publicSource("import { tool } from '../../src/steps/index.ts';", 'a.ts')).toBe("import { tool } from 'xstate-llm-harness';");
    expect(publicSource('import type { SimRequest } from "../src/testing/index.ts";', 'a.ts')).toBe('import type { SimRequest } from "xstate-llm-harness/testing";');
    expect(() => publicSource("import { createRandom } from '../src/util/random.ts';", 'x.ts')).toThrow('x.ts imports src/util/random.ts, which xstate-llm-harness does not export');
    for (const [file, content] of publicExamples(machines)) expect(content, file).not.toMatch(/['"](?:\.\.\/)+src\//);
  });

  it("type-check as a CommonJS project's .mts files, strict", async () => {
    for (const name of exampleNames(machines)) {
      for (const file of exampleFiles(machines, name).filter((f) => f.endsWith('.ts'))) {
        const { path, content } = exampleForProject(machines, file, '.mts');
        mkdirSync(dirname(join(dir, 'machines', path)), { recursive: true });
        writeFileSync(join(dir, 'machines', path), content);
      }
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    const src = (path: string) => [join(repoRoot, 'src', path)];
    const paths = { 'xstate-llm-harness': src('index.ts'), 'xstate-llm-harness/testing': src('testing/index.ts') };
    const compilerOptions = { module: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, allowImportingTsExtensions: true, types: ['node'], paths };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['machines'] }));
    const output = await new Promise<string>((resolve) => {
      execFile(process.execPath, [tsc, '-p', dir, '--pretty', 'false'], { cwd: dir }, (_error, stdout) => resolve(stdout));
    });
    expect(output).toBe('');
  }, 120_000);
});
