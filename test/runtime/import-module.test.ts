// A TypeScript module that would load as CommonJS is refused up front, saying what to change; ES modules load.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommonJsModuleError, importModule } from '../../src/runtime/import-module.ts';
import { loadWorkflow } from '../../src/runtime/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'harness-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function project(name: string, pkg: object): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'machines'), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(root, 'machines/flow.ts'), 'export const answer: number = 42;\n');
  writeFileSync(join(root, 'machines/flow.mts'), 'export const answer: number = 42;\n');
  writeFileSync(join(root, 'machines/flow.cts'), 'export const answer: number = 42;\n');
  return root;
}

describe('importModule', () => {
  it('refuses a .ts module of a CommonJS package, naming the rename and the package.json setting', async () => {
    const root = project('cjs', { name: 'app', type: 'commonjs' });
    const packageJson = join(root, 'package.json');
    await expect(importModule(join(root, 'machines/flow.ts'))).rejects.toThrow(
      new CommonJsModuleError(`flow.ts is CommonJS (${packageJson} has no "type": "module"), and xstate-llm-harness is an ES module: rename it to flow.mts, or add "type": "module" to ${packageJson}`),
    );
    await expect(loadWorkflow('machines/flow.ts', root)).rejects.toThrow(/^cannot load workflow machines\/flow\.ts: flow\.ts is CommonJS/);
    await expect(importModule(join(root, 'machines/flow.cts'))).rejects.toThrow('flow.cts is CommonJS (a .cts file), and xstate-llm-harness is an ES module: rename it to flow.mts');
  });

  it('loads .mts in any package, and .ts in an ES module package', async () => {
    const cjs = project('cjs-mts', { name: 'app' });
    expect(await importModule(join(cjs, 'machines/flow.mts'))).toMatchObject({ answer: 42 });
    const esm = project('esm', { name: 'app', type: 'module' });
    expect(await importModule(join(esm, 'machines/flow.ts'))).toMatchObject({ answer: 42 });
  });
});
