// One request to an Ollama host's model-management API: credentials sent as Basic auth, failures in plain words.
import { displayHost, hostAuth } from '../host.ts';

export interface HostRequest {
  /** Deadline of the whole request, in ms; none when undefined (a pull may take hours). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const plainCodes: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed',
  ENOTFOUND: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** Why a request never got an answer: `connection refused`, `no answer within 5000 ms`, … */
export function reachFailure(error: unknown, timeoutMs?: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return timeoutMs !== undefined && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'aborted';
  }
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  if (code !== undefined) return plainCodes[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}

/** `fetch` on `host` + `path` (host as resolveHost gives it, credentials included); throws only when unreachable. */
export async function hostFetch(host: string, path: string, init: RequestInit & HostRequest = {}): Promise<Response> {
  const { base, authorization } = hostAuth(host);
  const { timeoutMs, signal, ...rest } = init;
  const signals = [signal, timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs)].filter((s): s is AbortSignal => s !== undefined);
  const headers = new Headers(rest.headers);
  if (authorization !== undefined) headers.set('authorization', authorization);
  try {
    return await fetch(`${base}${path}`, { ...rest, headers, ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}) });
  } catch (error) {
    throw new Error(`cannot reach ${displayHost(host)}: ${reachFailure(error, timeoutMs)}`, { cause: error });
  }
}

/** Ollama's `{"error":"…"}` from a failed response, else its status line. */
export async function errorOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && 'error' in body && typeof body.error === 'string') return body.error;
  } catch {
    // not JSON: fall through to the status
  }
  return `${response.status} ${response.statusText}`.trim();
}
