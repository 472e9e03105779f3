// Imports a user's module by path: JavaScript with plain import(), TypeScript through tsx's loader (an optional peer).
import { pathToFileURL } from 'node:url';

const typeScript = /\.(?:ts|mts|cts|tsx)$/;

/** Thrown when a TypeScript module is given and tsx is not installed beside the harness. */
export class TypeScriptLoaderMissingError extends Error {
  override name = 'TypeScriptLoaderMissingError';
}

let registered: Promise<void> | undefined;

/**
 * tsx's hooks registered once for the whole process (not a namespaced tsImport): a workflow module and the CLI must
 * share one copy of xstate-llm-harness, xstate and zod, which a separate module graph would duplicate.
 */
function registerTsx(): Promise<void> {
  registered ??= import('tsx/esm/api').then(
    ({ register }) => {
      register();
    },
    (error: unknown) => {
      registered = undefined;
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeScriptLoaderMissingError(
        `loading TypeScript modules needs tsx (npm install --save-dev tsx), or compile the workflow to JavaScript first (${reason})`,
      );
    },
  );
  return registered;
}

/**
 * Imports the module at `absolutePath`. Node keeps a module by URL for the life of the process, a failed one included
 * (its error comes back on every import): `attempt` > 0 imports it under a URL of its own (`?attempt=N`), evaluated
 * anew from the file as it is now.
 */
export async function importModule(absolutePath: string, attempt = 0): Promise<Record<string, unknown>> {
  if (typeScript.test(absolutePath)) await registerTsx();
  const url = pathToFileURL(absolutePath);
  if (attempt > 0) url.searchParams.set('attempt', String(attempt));
  const mod: Record<string, unknown> = await import(url.href);
  return mod;
}
