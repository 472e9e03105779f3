// Builds the package from a checkout (npm run build; npm's `prepare`, so also npm pack, an install from a git URL and
// an install of a directory): dist/ (JavaScript, .d.ts, the inspector page) and examples/ (machines/ as a user's
// project imports them).
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

let tsc;
try {
  // TypeScript 7 exports no bin/tsc subpath: find the package, then its bin.
  tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
} catch {
  // A directory installed before its own `npm install` ran: say what to do instead of a resolver stack trace.
  console.error(`xstate-llm-harness: building needs its development dependencies: run npm install in ${root} first`);
  process.exit(1);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'examples'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// src/inspect/page-files.ts reads them from new URL('./page/', import.meta.url): dist/inspect/page/ in the package.
cpSync(join(root, 'src/inspect/page'), join(root, 'dist/inspect/page'), { recursive: true });

// Our declarations name Node's types (NodeJS.ProcessEnv, streams, Buffer through ollama's). TypeScript 6+ includes
// no @types package unless a project's `types` names it, so each public entry brings them in itself (@types/node is
// a dependency): a consumer's strict tsc passes with or without @types/node of its own.
const reference = '/// <reference types="node" />\n';
const { exports } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
for (const target of Object.values(exports)) {
  if (typeof target !== 'object' || typeof target.types !== 'string') continue;
  const file = join(root, target.types);
  const text = readFileSync(file, 'utf8');
  if (!text.startsWith(reference)) writeFileSync(file, reference + text);
}

// The examples, importing 'xstate-llm-harness' instead of ../src/…: what `harness demo` runs and `harness init
// --example` copies. The compiled module does it, so the build and init share one rewrite.
const { writePublicExamples } = await import(pathToFileURL(join(root, 'dist/cli/scaffold/examples.js')).href);
writePublicExamples(join(root, 'machines'), join(root, 'examples'));
