// The matching rule: a request's identity is method + path + its JSON body with key order and non-answer fields ignored.
import { createHash } from 'node:crypto';
import type { CassetteRequest } from './types.ts';

/** Top-level body fields that never change the answer: how long the model stays loaded. */
const IGNORED_FIELDS = ['keep_alive'];
/** Fields of `options` that place the work (threads, GPUs, memory mapping) but do not change what is said. */
const IGNORED_OPTIONS = ['num_thread', 'num_gpu', 'main_gpu', 'use_mmap', 'use_mlock', 'numa', 'low_vram'];

/** What a request is matched on, as a plain JSON value: `{ method, path, body }`. */
export interface RequestIdentity {
  method: string;
  /** The path, with query parameters (if any) sorted. */
  path: string;
  /** The normalised JSON body; for a non-JSON body `{ sha256 }`; null when there is none. */
  body: unknown;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([key, inner]) => [key, sortKeys(inner)]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The JSON body without the ignored fields, keys sorted at every level. Arrays keep their order. */
export function normaliseBody(json: unknown): unknown {
  if (!isRecord(json)) return sortKeys(json);
  const body = Object.fromEntries(Object.entries(json).filter(([key]) => !IGNORED_FIELDS.includes(key)));
  const options = body.options;
  if (isRecord(options)) {
    const kept = Object.entries(options).filter(([key]) => !IGNORED_OPTIONS.includes(key));
    // Options left empty say nothing: the same as sending none.
    if (kept.length === 0) delete body.options;
    else body.options = Object.fromEntries(kept);
  }
  return sortKeys(body);
}

function normalisePath(path: string): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const params = [...new URLSearchParams(path.slice(q + 1))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return params.length === 0 ? path.slice(0, q) : `${path.slice(0, q)}?${new URLSearchParams(params).toString()}`;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function identityOf(request: CassetteRequest): RequestIdentity {
  let body: unknown = null;
  if (request.json !== undefined) body = normaliseBody(request.json);
  else if (request.text !== undefined) body = request.text === '' ? null : { sha256: sha256(request.text) };
  else if (request.sha256 !== undefined) body = { sha256: request.sha256 };
  return { method: request.method.toUpperCase(), path: normalisePath(request.path), body };
}

/** The hash requests are matched by. */
export function matchKey(identity: RequestIdentity): string {
  return sha256(JSON.stringify([identity.method, identity.path, identity.body]));
}

/** Largest non-JSON request body kept as text in a cassette; bigger ones (blobs) keep only their hash. */
const TEXT_LIMIT = 64 * 1024;

/** A request as recorded (and as matched on replay): the body parsed if JSON, else text or a hash. */
export function describeRequest(method: string, path: string, raw: Buffer): CassetteRequest {
  const request: CassetteRequest = { method: method.toUpperCase(), path };
  if (raw.length === 0) return request;
  const text = raw.toString('utf8');
  try {
    request.json = JSON.parse(text);
    return request;
  } catch {
    // not JSON: fall through
  }
  if (raw.length <= TEXT_LIMIT && Buffer.from(text, 'utf8').equals(raw)) request.text = text;
  else {
    request.sha256 = sha256(raw);
    request.bytes = raw.length;
  }
  return request;
}
