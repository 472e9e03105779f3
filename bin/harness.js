#!/usr/bin/env node
// The `harness` command: an installed package runs its compiled dist/; a checkout run directly runs src/ through tsx.
import { existsSync } from 'node:fs';
import { sep } from 'node:path';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
// tsconfig.json is not in the package's `files`: its presence means a checkout, where a stale dist/ (left by
// `npm pack` or `npm run build`) must never shadow the sources being edited and tested. A checkout installed into
// another project (`npm install ../clone`, a link) is run from that project's node_modules/.bin: there it is a
// dependency like any other and runs dist/, the same code the project's own imports of the package get.
const checkout = existsSync(new URL('../tsconfig.json', import.meta.url));
const asDependency = (process.argv[1] ?? '').includes(`${sep}node_modules${sep}`);

if (existsSync(compiled) && (asDependency || !checkout)) {
  await import(compiled.href);
} else {
  if (!checkout) {
    // Installed without its build (npm --ignore-scripts, or an install-script policy that skipped `prepare`).
    process.stderr.write(
      'harness: this copy of xstate-llm-harness was installed without its build (dist/ is missing: npm skipped its ' +
        '"prepare" script); running its sources through tsx. Reinstall it with scripts allowed to import it from code.\n',
    );
  }
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write('harness: running from sources needs tsx: npm install --save-dev tsx\n');
    process.exit(1);
  }
  register();
  await import('../src/cli/main.ts');
}
