// TypeScript modules at run time: which paths are TypeScript, and the error when tsx (an optional peer) is missing.

const typeScript = /\.(?:ts|mts|cts|tsx)$/;

/** True for a path or file URL (its query and fragment aside) that names a TypeScript module. */
export function isTypeScriptModule(pathOrUrl: string): boolean {
  return typeScript.test(pathOrUrl.replace(/[?#].*$/, ''));
}

/** Thrown when a TypeScript module is given and tsx is not installed beside the harness. */
export class TypeScriptLoaderMissingError extends Error {
  override name = 'TypeScriptLoaderMissingError';

  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`loading TypeScript modules needs tsx (npm install --save-dev tsx), or compile the workflow to JavaScript first (${reason})`);
  }
}
