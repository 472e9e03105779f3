// Imports a user's module by path: JavaScript with plain import(), TypeScript through tsx's loader (an optional peer),
// as an ES module only.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isTypeScriptModule, TypeScriptLoaderMissingError } from '../util/typescript.ts';

export { TypeScriptLoaderMissingError } from '../util/typescript.ts';

/** Thrown for a TypeScript module that would load as CommonJS, saying what to change. */
export class CommonJsModuleError extends Error {
  override name = 'CommonJsModuleError';
}

let registered: Promise<void> | undefined;

/**
 * tsx's hooks registered once for the whole process (not a namespaced tsImport): a workflow module and the CLI must
 * share one copy of xstate-llm-harness, xstate and zod, which a separate module graph would duplicate.
 */
export function registerTsx(): Promise<void> {
  registered ??= import('tsx/esm/api').then(
    ({ register }) => {
      register();
    },
    (error: unknown) => {
      registered = undefined;
      throw new TypeScriptLoaderMissingError(error);
    },
  );
  return registered;
}

/**
 * The package.json that decides whether a `.ts` file is CommonJS or an ES module (the nearest one above it, as Node and
 * tsx read it), and its `type`; undefined when there is none.
 */
function packageScope(file: string): { packageJson: string; type: string } | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const packageJson = join(dir, 'package.json');
    if (existsSync(packageJson)) {
      let type = 'commonjs';
      try {
        const pkg: unknown = JSON.parse(readFileSync(packageJson, 'utf8'));
        if (typeof pkg === 'object' && pkg !== null && 'type' in pkg && pkg.type === 'module') type = 'module';
      } catch {
        // unreadable: Node would refuse it too, with its own message when the module is imported
      }
      return { packageJson, type };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * A TypeScript module that is CommonJS: `.cts`, or `.ts`/`.tsx` in a package without "type": "module" (what `npm init`
 * gives). tsx would load it as CommonJS, where importing xstate-llm-harness (an ES module) fails with "Cannot require()
 * ES Module … in a cycle", and a CommonJS copy of xstate would not be the harness's. Said up front, with the fix.
 */
export function assertEsm(file: string): void {
  if (file.endsWith('.mts')) return;
  const scope = packageScope(file);
  if (!file.endsWith('.cts') && (scope === undefined || scope.type === 'module')) return;
  const esmName = basename(file).replace(/\.[cm]?tsx?$/, '.mts');
  const where = scope ? `${scope.packageJson} has no "type": "module"` : 'no package.json above it says "type": "module"';
  const fix = file.endsWith('.cts') || scope === undefined
    ? `rename it to ${esmName}`
    : `rename it to ${esmName}, or add "type": "module" to ${scope.packageJson}`;
  throw new CommonJsModuleError(
    `${basename(file)} is CommonJS (${file.endsWith('.cts') ? 'a .cts file' : where}), and xstate-llm-harness is an ES module: ${fix}`,
  );
}

/**
 * Imports the module at `absolutePath`. Node keeps a module by URL for the life of the process, a failed one included
 * (its error comes back on every import): `attempt` > 0 imports it under a URL of its own (`?attempt=N`), evaluated
 * anew from the file as it is now.
 */
export async function importModule(absolutePath: string, attempt = 0): Promise<Record<string, unknown>> {
  if (isTypeScriptModule(absolutePath)) {
    assertEsm(absolutePath);
    await registerTsx();
  }
  const url = pathToFileURL(absolutePath);
  if (attempt > 0) url.searchParams.set('attempt', String(attempt));
  const mod: Record<string, unknown> = await import(url.href);
  return mod;
}
