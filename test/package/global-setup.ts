// Packs the package once for every test file of the package project: `npm pack` runs `prepare` (the build) first, so
// the tarball is exactly what `npm publish` would upload. Its path reaches the files through inject('tarball').
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    tarball: string;
  }
}

export default function setup(project: TestProject): () => void {
  const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'harness-tarball-'));
  execFileSync('npm', ['pack', '--pack-destination', dir, '--loglevel=error'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  const packed = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!packed) throw new Error(`npm pack wrote no tarball into ${dir}`);
  project.provide('tarball', join(dir, packed));
  return () => rmSync(dir, { recursive: true, force: true });
}
