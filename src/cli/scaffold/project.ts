// The files of a new project made by `harness init`: path → content.
import type { OwnPackage } from '../own-package.ts';
import { testFile, workflowFile } from './workflow.ts';

export interface ScaffoldOptions {
  /** The package.json name of the project. */
  name: string;
  /** How the project depends on this package: a version range, a `file:` path, a tarball URL. */
  from: string;
  own: OwnPackage;
}

/** A range of ours for `name`, else `fallback` (a checkout lists every tool; the ranges are what we test with). */
const rangeOf = (deps: Record<string, string>, name: string, fallback: string) => deps[name] ?? fallback;

export function scaffoldFiles({ name, from, own }: ScaffoldOptions): Record<string, string> {
  const dev = own.devDependencies;
  const packageJson = {
    name,
    version: '0.0.0',
    private: true,
    type: 'module',
    scripts: {
      test: 'vitest run',
      typecheck: 'tsc --noEmit',
      check: 'harness check machines/*.ts',
    },
    dependencies: {
      [own.name]: from,
      xstate: rangeOf(own.peerDependencies, 'xstate', '^5'),
      zod: rangeOf(own.peerDependencies, 'zod', '^4'),
    },
    devDependencies: {
      '@types/node': rangeOf(dev, '@types/node', '^20'),
      tsx: rangeOf(dev, 'tsx', '^4'),
      typescript: rangeOf(dev, 'typescript', '^5.9'),
      vitest: rangeOf(dev, 'vitest', '^4'),
    },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      skipLibCheck: true,
      types: ['node'],
      // Workflows run from source (harness run, vitest), so .ts imports are fine and nothing is emitted.
      noEmit: true,
      allowImportingTsExtensions: true,
    },
    include: ['machines', 'test'],
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(tsconfig, null, 2)}\n`,
    '.gitignore': 'node_modules/\nsnapshots/\n',
    'README.md': `# ${name}\n\nLLM workflows on ${own.name}: \`npm test\` runs machines/triage.ts against the simulator, offline.\n` +
      `Against Ollama: \`npx harness run machines/triage.ts --input '{"ticket":"…"}'\` (OLLAMA_HOST, default localhost:11434).\n`,
    'machines/triage.ts': workflowFile,
    'test/triage.test.ts': testFile,
  };
}
