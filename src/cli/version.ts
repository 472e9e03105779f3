// The package's version, found from this module's own location (src/cli via tsx, or a compiled dist/…/cli).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageName = 'xstate-llm-harness';

/**
 * Walks up from `fromDir` to our package.json: a fixed relative path would be right for src/cli and wrong for a
 * build output nested one level deeper. A package.json of another package (a fixture, a workspace) is skipped.
 */
export function packageVersion(fromDir: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
        if (pkg.name === packageName && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // not readable JSON: keep looking further up
      }
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
