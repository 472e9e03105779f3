// Where a running copy came from, read from the lockfile of the project that installed it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OwnPackage } from '../../../src/cli/own-package.ts';
import { ownOrigin } from '../../../src/cli/scaffold/origin.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A project that installed the package: its node_modules copy, and npm's hidden lockfile holding `entry`. */
function installed(entry: Record<string, unknown> | undefined): { own: OwnPackage; root: string } {
  const root = mkdtempSync(join(tmpdir(), 'harness-origin-'));
  dirs.push(root);
  const dir = join(root, 'node_modules', 'xstate-llm-harness');
  mkdirSync(dir, { recursive: true });
  const packages = entry ? { 'node_modules/xstate-llm-harness': entry } : {};
  writeFileSync(join(root, 'node_modules', '.package-lock.json'), JSON.stringify({ lockfileVersion: 3, packages }));
  const own: OwnPackage = { name: 'xstate-llm-harness', version: '0.3.1', dir, checkout: false, dependencies: {}, peerDependencies: {}, devDependencies: {} };
  return { own, root };
}

describe('ownOrigin', () => {
  it('depends again on the tarball an installed copy came from, relative to the new project', () => {
    const { own, root } = installed({ version: '0.3.1', resolved: 'file:../dl/xstate-llm-harness-0.3.1.tgz' });
    expect(ownOrigin(own, join(root, 'apps', 'new'))).toEqual({ spec: 'file:../../../dl/xstate-llm-harness-0.3.1.tgz' });
  });

  it('keeps a git URL with its commit, and a version range for a registry copy', () => {
    const git = 'git+ssh://git@github.com/owner/xstate-llm-harness.git#0123456789abcdef0123456789abcdef01234567';
    const fromGit = installed({ version: '0.3.1', resolved: git });
    expect(ownOrigin(fromGit.own, join(fromGit.root, 'new'))).toEqual({ spec: git });
    const registry = installed({ version: '0.3.1', resolved: 'https://registry.npmjs.org/xstate-llm-harness/-/xstate-llm-harness-0.3.1.tgz' });
    expect(ownOrigin(registry.own, join(registry.root, 'new'))).toEqual({ spec: '^0.3.1' });
    // omit-lockfile-registry-resolved: a registry entry with no `resolved`.
    const bare = installed({ version: '0.3.1' });
    expect(ownOrigin(bare.own, join(bare.root, 'new'))).toEqual({ spec: '^0.3.1' });
  });

  it('links a checkout, and falls back to the copy\'s own directory when nothing says where it came from', () => {
    const { own, root } = installed(undefined);
    expect(ownOrigin({ ...own, checkout: true, dir: join(root, 'clone') }, join(root, 'new'))).toMatchObject({ spec: 'file:../clone', note: expect.stringContaining('a link to the checkout') });
    expect(ownOrigin(own, join(root, 'new'))).toMatchObject({ spec: 'file:../node_modules/xstate-llm-harness', note: expect.stringContaining('pass --from') });
  });
});
