// `error.type` for a thrown error: its code when it has one (the harness's errors do), else its class name.
/** Low-cardinality, as the conventions ask: never the message. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' && error.code !== '') return error.code;
  if (error instanceof Error) return error.name !== '' ? error.name : error.constructor.name;
  return '_OTHER';
}
