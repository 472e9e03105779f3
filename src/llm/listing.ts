// What a host has: model names from /api/tags (on disk) and /api/ps (in memory), in one canonical spelling.
import { reachFailure } from './models/http.ts';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Ollama treats `x` and `x:latest` as one model, case-insensitively. */
export function canonicalModel(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.slice(lower.lastIndexOf('/') + 1).includes(':') ? lower : `${lower}:latest`;
}

export interface ListingRequest {
  /** Base URL without credentials. */
  base: string;
  authorization?: string;
  timeoutMs: number;
}

/** Canonical names from `/api/tags` or `/api/ps`; throws on any failure (the caller opens the host's breaker). */
export async function listModels(what: 'tags' | 'ps', request: ListingRequest): Promise<string[]> {
  let response: Response;
  try {
    response = await fetch(`${request.base}/api/${what}`, {
      headers: request.authorization === undefined ? {} : { authorization: request.authorization },
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    // fetch says only "fetch failed": name the cause (connection refused, no answer within N ms, …).
    throw new Error(reachFailure(error, request.timeoutMs), { cause: error });
  }
  if (!response.ok) throw new Error(`/api/${what} answered ${response.status}`);
  const body: unknown = await response.json();
  const list = isRecord(body) ? body.models : undefined;
  if (!Array.isArray(list)) throw new Error(`/api/${what} sent no model list`);
  const names = new Set<string>();
  for (const item of list) {
    if (!isRecord(item)) continue;
    for (const name of [item.name, item.model]) {
      if (typeof name === 'string' && name !== '') names.add(canonicalModel(name));
    }
  }
  return [...names];
}
