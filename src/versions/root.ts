// Where this copy of the harness lives, and how a stored version names the harness's own files portably.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join, relative, sep } from 'node:path';

/** The harness package's root directory (this file is src/versions/root.ts, or dist/versions/root.js once built). */
const harnessRoot = fileURLToPath(new URL('../../', import.meta.url));

/** True when the process runs the harness from its TypeScript sources (a checkout), not from dist/. */
const fromSource = import.meta.url.endsWith('.ts');

/** The prefix a stored version uses for a file of the harness itself: `xstate-llm-harness/src/steps/index.ts`. */
export const ownPrefix = 'xstate-llm-harness/';

/**
 * The portable name of `path` when it is one of the harness's own files (under src/ or dist/ of this copy), so a
 * version bundles a workflow's code but never a second copy of the harness; undefined for any other file.
 */
export function ownName(path: string): string | undefined {
  const rel = relative(harnessRoot, path);
  if (rel.startsWith('..') || !(rel.startsWith(`src${sep}`) || rel.startsWith(`dist${sep}`))) return undefined;
  return ownPrefix + rel.split(sep).join('/');
}

/**
 * The file URL of a harness file named by `ownName`, in this process's copy: a version built from a checkout
 * (src/…ts) loads in an installed harness (dist/…js) and the other way round, so both name the module this process
 * already runs.
 */
export function ownUrl(name: string): string | undefined {
  const rel = name.slice(ownPrefix.length);
  const swapped = fromSource ? rel.replace(/^dist\/(.*)\.js$/, 'src/$1.ts') : rel.replace(/^src\/(.*)\.ts$/, 'dist/$1.js');
  for (const candidate of [swapped, rel]) {
    const path = join(harnessRoot, candidate);
    if (existsSync(path)) return pathToFileURL(path).href;
  }
  return undefined;
}

/**
 * Where a package import of a stored version goes: the very file this process would import for it, so the version's
 * xstate, zod and xstate-llm-harness are the process's own copies (a second copy of xstate would make its machines
 * foreign to the runtime). The harness's own package name resolves to the harness as this process runs it.
 */
export function packageUrl(specifier: string): string | undefined {
  let resolved: string;
  try {
    resolved = import.meta.resolve(specifier);
  } catch {
    return undefined;
  }
  if (!resolved.startsWith('file:')) return resolved;
  const path = fileURLToPath(resolved);
  const own = ownName(path);
  return own === undefined ? resolved : (ownUrl(own) ?? resolved);
}
