// Builds dist/: compiles src/ with tsconfig.build.json, then copies the inspector page's static files beside it.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(new URL('dist/', `file://${root}`), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
// src/inspect/page-files.ts reads them from new URL('./page/', import.meta.url): dist/inspect/page/ in the package.
cpSync(`${root}src/inspect/page`, `${root}dist/inspect/page`, { recursive: true });
