// Small HTTP pieces of the inspector: JSON replies, bounded JSON bodies, and the status code of each named error.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request the inspector refuses, with the HTTP status to answer. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Headers every reply carries: nothing from elsewhere may load, frame or be loaded; the token never leaks as Referer. */
export const baseHeaders: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...baseHeaders, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, error: string, name?: string): void {
  sendJson(res, status, name ? { error, name } : { error });
}

/** Reads a JSON body of at most `limit` bytes; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage, limit = 256 * 1024): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  // Only JSON: a cross-origin form post (text/plain, urlencoded) never gets this far even without the other checks.
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, 'send the body as application/json');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

const statusByName: Record<string, number> = {
  HttpError: 0,
  InvalidRunIdError: 400,
  InputError: 400,
  RunNotFoundError: 404,
  CorruptRunError: 422,
  RunLockedError: 409,
  RunFinishedError: 409,
  DefinitionChangedError: 409,
  EventRejectedError: 409,
  FencedError: 409,
  WorkflowLoadError: 500,
};

/** The HTTP status of an error thrown by the store or runtime: named errors by name, else by their exit code. */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  const name = error instanceof Error ? error.name : '';
  const byName = statusByName[name];
  if (byName) return byName;
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode;
  if (exitCode === 2) return 400;
  if (exitCode === 3) return 409;
  return 500;
}
