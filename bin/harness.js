#!/usr/bin/env node
// The `harness` command: an installed package runs its compiled dist/; a checkout runs src/ through tsx.
import { existsSync } from 'node:fs';

// tsconfig.json is not in the package's `files`: its presence means a checkout, where a stale dist/ (left by
// `npm pack` or `npm run build`) must never shadow the sources being edited and tested.
const checkout = existsSync(new URL('../tsconfig.json', import.meta.url));
const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (!checkout && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
