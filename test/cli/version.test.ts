import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/cli/version.ts';
import { harness, repoRoot, tempDir, type Env } from './harness.ts';

const env: Env = { ollamaHost: 'http://127.0.0.1:9', snapshots: tempDir() };
const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };

describe('harness --version', { timeout: 60_000 }, () => {
  it('prints the package version and exits 0, as -V and --version (spawned)', async () => {
    for (const flag of ['-V', '--version']) {
      const result = await harness([flag], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
      expect(result.stderr).toBe('');
    }
  });

  it('finds our package.json from a build output nested deeper than src/cli, past another package.json', () => {
    const root = tempDir();
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'xstate-llm-harness', version: '9.8.7' }));
    const compiled = join(root, 'dist', 'src', 'cli');
    mkdirSync(compiled, { recursive: true });
    writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ type: 'module' }));
    expect(packageVersion(compiled)).toBe('9.8.7');
    expect(packageVersion(join(tempDir(), 'elsewhere'))).toBe('unknown');
  });
});
