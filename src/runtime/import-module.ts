// Imports a user's module by path: JavaScript with plain import(), TypeScript through tsx's loader (an optional peer).
import { pathToFileURL } from 'node:url';
import { isTypeScriptModule, TypeScriptLoaderMissingError } from '../util/typescript.ts';

export { TypeScriptLoaderMissingError } from '../util/typescript.ts';

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
      throw new TypeScriptLoaderMissingError(error);
    },
  );
  return registered;
}

export async function importModule(absolutePath: string): Promise<Record<string, unknown>> {
  if (isTypeScriptModule(absolutePath)) await registerTsx();
  const mod: Record<string, unknown> = await import(pathToFileURL(absolutePath).href);
  return mod;
}
