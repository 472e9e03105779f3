// The package's declarations in a consumer's strict tsc: TypeScript 5 (which includes every @types package) and 7
// (which includes none unless `types` names it), with no @types/node of the project's own and no skipLibCheck, so an
// error anywhere in our .d.ts files (or what they import) fails the check.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { helloWorkflow, install, json, minutes, ok, readJson, tarball, workDir, writeFiles } from './helpers.ts';

const everyEntry = `import { defineWorkflow, FileStore, runWorkflow, type RunRecord } from 'xstate-llm-harness';
import { startSimulator } from 'xstate-llm-harness/testing';
import { checkMachine } from 'xstate-llm-harness/check';
import { startInspector } from 'xstate-llm-harness/inspect';
import { PostgresStore } from 'xstate-llm-harness/postgres';
import * as telemetry from 'xstate-llm-harness/telemetry';
import hello from './hello.js';

export const used = [defineWorkflow, FileStore, runWorkflow, startSimulator, checkMachine, startInspector, PostgresStore, telemetry, hello.id] as const;
export const status = (record: RunRecord): string => record.status;
`;

/** Runs typed by their workflow through the declarations as installed: a wrong input must fail the consumer's tsc. */
const typedRuns = `import { FileStore, runWorkflow } from 'xstate-llm-harness';
import hello from './hello.js';

const store = new FileStore({ dir: 'snapshots' });
// @ts-expect-error the workflow's input schema says text is a string
export const wrong = () => runWorkflow({ store, workflow: hello, input: { text: 1 } });
export const right = async (): Promise<string> => (await runWorkflow({ store, workflow: hello, input: { text: 'hi' } })).status;
`;

/**
 * Strict, with no skipLibCheck, no `types` and no DOM (exactOptionalPropertyTypes is left out: xstate's own
 * declarations do not pass it).
 */
const tsconfig = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', strict: true, noEmit: true, noUncheckedIndexedAccess: true },
  include: ['src'],
};

describe.each([
  { typescript: '5', expected: /^Version 5\./ },
  { typescript: '7.0.2', expected: /^Version 7\./ },
])("a consumer's strict tsc with typescript $typescript, without @types/node of its own", { timeout: minutes(5) }, ({ typescript, expected }) => {
  const project = workDir(`types-${typescript}`);

  beforeAll(async () => {
    writeFiles(project, {
      'package.json': json({ name: 'consumer', private: true, type: 'module' }),
      'tsconfig.json': json(tsconfig),
      'src/hello.ts': helloWorkflow,
      'src/all.ts': everyEntry,
      'src/typed.ts': typedRuns,
    });
    await ok('npm', [...install, tarball(), 'xstate@^5.33', 'zod@^4', `typescript@${typescript}`], project);
  }, minutes(10));

  it('type-checks every entry point of the package', async () => {
    expect((await ok('npx', ['--no', '--', 'tsc', '--version'], project)).stdout).toMatch(expected);
    expect(readJson(join(project, 'package.json'))).not.toHaveProperty(['devDependencies', '@types/node']);
    expect(readJson(join(project, 'package.json'))).not.toHaveProperty(['dependencies', '@types/node']);
    const result = await ok('npx', ['--no', '--', 'tsc', '-p', '.', '--pretty', 'false'], project);
    expect(result.stdout).toBe('');
  });
});
