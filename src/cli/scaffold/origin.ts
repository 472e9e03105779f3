// Where the running copy of the harness came from, as a dependency spec a new project can install it with again:
// the package is not on the npm registry, so `^<version>` is right only for a copy that npm fetched from there.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { OwnPackage } from '../own-package.ts';

export interface Origin {
  /** The dependency spec: `file:<path>` (relative to the project), a git URL, or `^<version>`. */
  spec: string;
  /** Said to the user when the spec is a guess or has a condition. */
  note?: string;
}

/** A `file:` spec for `path`, relative to the project in `target` (npm resolves it from there). */
export function fileSpec(path: string, target: string): string {
  const fromTarget = relative(target, path) || '.';
  return `file:${fromTarget.startsWith('.') || isAbsolute(fromTarget) ? fromTarget : `./${fromTarget}`}`;
}

/** The `resolved` of our entry in the lockfile of the project whose node_modules holds this copy. */
function lockedResolution(own: OwnPackage): { root: string; resolved: string | undefined; found: boolean } | undefined {
  const marker = `${sep}node_modules${sep}`;
  const at = own.dir.lastIndexOf(marker);
  if (at < 0) return undefined;
  const root = own.dir.slice(0, at);
  const key = own.dir.slice(at + 1).split(sep).join('/');
  // npm keeps a copy of the lockfile in node_modules (also when package-lock=false); the project's own comes second.
  for (const file of [join(root, 'node_modules', '.package-lock.json'), join(root, 'package-lock.json')]) {
    if (!existsSync(file)) continue;
    let lock: unknown;
    try {
      lock = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      continue;
    }
    const packages = typeof lock === 'object' && lock !== null && 'packages' in lock ? lock.packages : undefined;
    const entry = typeof packages === 'object' && packages !== null && key in packages ? Reflect.get(packages, key) : undefined;
    if (typeof entry !== 'object' || entry === null) continue;
    const resolved = 'resolved' in entry && typeof entry.resolved === 'string' ? entry.resolved : undefined;
    return { root, resolved, found: true };
  }
  return { root, resolved: undefined, found: false };
}

/** A registry tarball URL: `<registry>/<name>/-/<name>-<version>.tgz`. */
const registryTarball = /^https?:\/\/[^/]+\/.+\/-\/[^/]+-\d[^/]*\.tgz$/;

/**
 * How a project in `target` depends on the copy that is running: a checkout is linked as a directory, an installed
 * copy is fetched again from where npm got it (its tarball, directory or git URL, as the lockfile recorded it).
 */
export function ownOrigin(own: OwnPackage, target: string): Origin {
  if (own.checkout) {
    return { spec: fileSpec(own.dir, target), note: `a link to the checkout at ${own.dir}, which npm install builds` };
  }
  const locked = lockedResolution(own);
  if (locked?.resolved !== undefined) {
    const { resolved, root } = locked;
    if (resolved.startsWith('file:')) return { spec: fileSpec(resolve(root, resolved.slice('file:'.length)), target) };
    if (registryTarball.test(resolved)) return { spec: `^${own.version}` };
    // git+https://…#<commit>, git+file://…, a tarball URL: the exact source this copy was built from.
    return { spec: resolved };
  }
  // A lockfile entry without `resolved` is a registry package (omit-lockfile-registry-resolved).
  if (locked?.found === true) return { spec: `^${own.version}` };
  return {
    spec: fileSpec(own.dir, target),
    note: `where this copy came from is unknown, so its directory, ${own.dir}; pass --from <tarball|dir|git URL> to choose`,
  };
}
