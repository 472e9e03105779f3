// Small HTTP pieces of the inspector: JSON replies, bounded JSON bodies, and the status code of each named error.
import { isHarnessError, type ErrorCode } from '../errors.ts';
import { scrubText } from '../util/secrets.ts';
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

/**
 * Every answer of the API goes through here, so every URL in it (a host in a flag, a store in an error) is scrubbed of
 * credentials: JSON's quotes and escapes end a URL for the scrubber, so the text stays valid JSON.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = scrubText(JSON.stringify(body));
  res.writeHead(status, { ...baseHeaders, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** `name` and `code` tell a harness error apart (clients branch on `code`; `name` is for people). */
export function sendError(res: ServerResponse, status: number, error: string, name?: string, code?: string): void {
  sendJson(res, status, { error, ...(name ? { name } : {}), ...(code ? { code } : {}) });
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

// The inspector's one table from a harness error's code to an HTTP status.
const statusByCode: Readonly<Record<ErrorCode, number>> = {
  INVALID_RUN_ID: 400,
  INVALID_INPUT: 400,
  INVALID_CONFIG: 400,
  RUN_NOT_FOUND: 404,
  RUN_EXISTS: 409,
  CORRUPT_RUN: 422,
  RUN_LOCKED: 409,
  RUN_FINISHED: 409,
  DEFINITION_CHANGED: 409,
  EVENT_REJECTED: 409,
  FENCED: 409,
  STORE_UNAVAILABLE: 503,
  WORKFLOW_LOAD: 500,
};

/** The HTTP status of an error thrown by the store or runtime, by its code; anything else is ours (500). */
export function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (isHarnessError(error)) return statusByCode[error.code];
  return 500;
}
