// This package's own package.json (name, version, the ranges of its peers and tools), found from this module's place.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface OwnPackage {
  name: string;
  version: string;
  /** The directory of the package.json: the checkout, or the installed package (its real path, links followed). */
  dir: string;
  /**
   * A checkout (tsconfig.json is there, and it is not in the package's `files`): the CLI runs src/, examples are
   * machines/. Otherwise the installed package: dist/ and examples/.
   */
  checkout: boolean;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const packageName = 'xstate-llm-harness';

const record = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null
    ? Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
    : {};

/** Walks up from src/cli (a checkout) or dist/cli (the package) to the package.json named xstate-llm-harness. */
export function ownPackage(fromDir: string = dirname(fileURLToPath(import.meta.url))): OwnPackage {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      let pkg: unknown;
      try {
        pkg = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        pkg = undefined; // not readable JSON (a fixture, a half-written file): keep looking further up
      }
      if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === packageName) {
        const version = 'version' in pkg && typeof pkg.version === 'string' ? pkg.version : '0.0.0';
        return {
          name: packageName,
          version,
          dir,
          checkout: existsSync(join(dir, 'tsconfig.json')),
          dependencies: record('dependencies' in pkg ? pkg.dependencies : undefined),
          peerDependencies: record('peerDependencies' in pkg ? pkg.peerDependencies : undefined),
          devDependencies: record('devDependencies' in pkg ? pkg.devDependencies : undefined),
        };
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the package.json of ${packageName} above ${fromDir}`);
  }
}
