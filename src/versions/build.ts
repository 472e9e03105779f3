// Builds a workflow's version: its module and local imports bundled into one ES module (packages left out), hashed.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { build, type Message, type Plugin } from 'esbuild';
import { VersionError } from './errors.ts';
import { ownName } from './root.ts';

/** A workflow's code as a version: what the store keeps once per hash. */
export interface BuiltVersion {
  /** sha256 of `code`, hex. */
  hash: string;
  code: string;
}

/**
 * What a stored version cannot do, found in its code: it runs from the store (or a cache file), not from beside the
 * source, so a path taken from its own location points nowhere.
 */
const locationUse = /\bimport\.meta\.(?:url|dirname|filename|resolve)\b|\b__dirname\b|\b__filename\b/;

/** The harness's own files stay imports (by a portable name): a version never carries a second copy of the harness. */
const keepHarnessOut: Plugin = {
  name: 'harness-external',
  setup(b) {
    b.onResolve({ filter: /^(?:\.{1,2}\/|\/)/ }, async (args) => {
      if (args.pluginData === 'inner') return undefined;
      const found = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'inner' });
      if (found.errors.length > 0) return { errors: found.errors };
      if (found.path.endsWith('.node')) {
        return { errors: [{ text: `${args.path} is a native addon (.node): a stored version cannot carry one; load it from a package instead` }] };
      }
      const own = ownName(found.path);
      return own === undefined ? { path: found.path } : { path: own, external: true };
    });
  },
};

const messages = (list: readonly Message[]) => list.map((m) => (m.location ? `${m.location.file}:${m.location.line}: ${m.text}` : m.text)).join('; ');

interface Cached {
  built: BuiltVersion;
  /** Every file the bundle read, with its size and mtime: any change builds again. */
  inputs: { path: string; size: number; mtimeMs: number }[];
}

/** Builds are kept by module path and checked against every input's stat: a run start in a loop does not rebuild. */
const builds = new Map<string, Cached>();

/** A stat of each input, synchronous: a few µs in the page cache, where a trip to the thread pool per run start waits its turn. */
function unchanged(cached: Cached): boolean {
  for (const input of cached.inputs) {
    try {
      const now = statSync(input.path);
      if (now.size !== input.size || now.mtimeMs !== input.mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Bundles the module at `modulePath` with its local imports (TypeScript compiled) into one ES module; packages and
 * the harness's own files stay imports. Refused (VersionError) when it cannot build, reads files next to its
 * module (import.meta.url, __dirname) or imports a native addon.
 */
export async function buildVersion(modulePath: string): Promise<BuiltVersion> {
  const cached = builds.get(modulePath);
  if (cached && unchanged(cached)) return cached.built;
  const workingDir = dirname(modulePath);
  let result;
  try {
    result = await build({
      entryPoints: [modulePath],
      absWorkingDir: workingDir,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [keepHarnessOut],
    });
  } catch (error) {
    const detail = error instanceof Error && 'errors' in error && Array.isArray(error.errors) ? messages(error.errors) : String(error);
    throw new VersionError(`cannot build a version of ${modulePath}: ${detail}`);
  }
  const output = result.outputFiles[0];
  if (output === undefined) throw new VersionError(`cannot build a version of ${modulePath}: esbuild wrote nothing`);
  const code = output.text;
  const found = locationUse.exec(code);
  if (found) {
    throw new VersionError(
      `${modulePath} cannot be stored as a version: its code uses ${found[0]} (reading files next to the module), ` +
        'but a run resumes from the stored version, anywhere: import the data (JSON is bundled) or read it from a path given in the input',
    );
  }
  const built: BuiltVersion = { hash: createHash('sha256').update(code).digest('hex'), code };
  const inputs: Cached['inputs'] = [];
  for (const key of Object.keys(result.metafile.inputs)) {
    const path = isAbsolute(key) ? key : resolve(workingDir, key);
    const info = await stat(path).catch(() => undefined);
    if (info) inputs.push({ path, size: info.size, mtimeMs: info.mtimeMs });
  }
  builds.set(modulePath, { built, inputs });
  return built;
}

/** The short form of a version hash shown to people (`ls`, `show`, the inspector). */
export function shortVersion(hash: string): string {
  return hash.slice(0, 12);
}
