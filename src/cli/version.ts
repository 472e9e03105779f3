// The package's version, found from this module's own location (src/cli via tsx, or a compiled dist/…/cli).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownPackage } from './own-package.ts';

/**
 * Our package.json's version, walking up from `fromDir`: a fixed relative path would be right for src/cli and wrong
 * for a build output nested one level deeper. `unknown` when no package.json of ours is found.
 */
export function packageVersion(fromDir: string = dirname(fileURLToPath(import.meta.url))): string {
  try {
    return ownPackage(fromDir).version;
  } catch {
    return 'unknown';
  }
}
