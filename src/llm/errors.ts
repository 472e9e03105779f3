// Named errors of the model layer and the one place that turns any thrown value into a CallError.
import { HarnessError } from '../errors.ts';
import type { CallError } from './types.ts';

/** A model config or host setting that fails validation: a caller's mistake, so it is thrown rather than returned. */
export class ConfigError extends HarnessError {
  override name = 'ConfigError';
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** The abort reason of a call that ran out of time (queueing, load and generation all count). */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/** Why a call stopped early, as decided by the caller of `classifyError` (it owns the signals). */
export interface ErrorContext {
  /** Base URL of the server, for messages such as `cannot connect to Ollama at …`. */
  host: string;
  timeoutMs: number;
  /** Our own deadline fired. */
  timedOut?: boolean;
  /** The caller's signal fired. */
  aborted?: boolean;
  /** The caller's abort reason, shown when it is a readable message. */
  abortReason?: unknown;
}

// ollama-js throws this exact text when the NDJSON stream ends without a `done` line.
const streamCutText = 'Did not receive done or success response in stream.';

const networkCodes: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'response body stalled',
};

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  status_code?: unknown;
  errors?: unknown;
}

function asErrorLike(value: unknown): ErrorLike {
  return typeof value === 'object' && value !== null ? (value as ErrorLike) : {};
}

/** The first node:net / undici error code found along the `cause` chain (and inside AggregateErrors). */
function networkCode(err: unknown, depth = 0): string | undefined {
  if (depth > 5) return undefined;
  const e = asErrorLike(err);
  if (typeof e.code === 'string' && e.code in networkCodes) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = networkCode(inner, depth + 1);
      if (code) return code;
    }
  }
  return e.cause === undefined ? undefined : networkCode(e.cause, depth + 1);
}

function messageOf(err: unknown): string {
  const e = asErrorLike(err);
  if (typeof e.message === 'string' && e.message !== '') return e.message;
  return String(err);
}

// Ollama answers two of the request's own mistakes with 500, through generic error branches (server/routes.go
// handleScheduleError, llm/llama_server.go): an option value of the wrong type (api.Options.FromMap) and a format
// that is neither "json" nor a schema. No retry and no other host can help, so they are bad requests.
const REQUEST_REFUSED_500 = [/^option ".+" must be of (type \w+|an array of strings)$/, /^invalid format: [\s\S]*; expected "json" or a valid JSON Schema object$/];

/**
 * Classifies whatever a call threw. Timeout and abort are decided by the caller's flags first, because an
 * aborted fetch surfaces as an AbortError (or as our reason) no matter which signal fired.
 */
export function classifyError(err: unknown, context: ErrorContext): CallError {
  const { host } = context;
  if (context.timedOut) return { kind: 'timeout', message: `timed out after ${context.timeoutMs} ms` };
  if (context.aborted) {
    const reason = context.abortReason;
    const detail = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
    return { kind: 'aborted', message: `aborted by the caller${detail}` };
  }

  const e = asErrorLike(err);
  const message = messageOf(err);
  if (e.name === 'ResponseError' && typeof e.status_code === 'number') {
    const status = e.status_code;
    if (status === 404) {
      // A 404 without a model in it is a wrong host path (Go's `404 page not found`), not a missing model.
      return /model/i.test(message)
        ? { kind: 'model-not-found', message, status }
        : { kind: 'bad-request', message: `${message} (is ${host} an Ollama server?)`, status };
    }
    if (status === 503) return { kind: 'busy', message, status };
    if (status === 500 && REQUEST_REFUSED_500.some((text) => text.test(message))) return { kind: 'bad-request', message, status };
    if (status >= 500) return { kind: 'server', message, status };
    return { kind: 'bad-request', message, status };
  }

  if (message === streamCutText) {
    return { kind: 'connection', message: `Ollama at ${host} closed the stream before the reply was complete` };
  }
  const code = networkCode(err);
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { kind: 'connection', message: `cannot connect to Ollama at ${host}: ${networkCodes[code]}` };
  }
  if (code !== undefined) {
    return { kind: 'connection', message: `connection to Ollama at ${host} lost: ${networkCodes[code]}` };
  }
  // fetch refuses a list of "bad ports" (1, 22, 6000, …) before dialling: no retry can help.
  if (messageOf(e.cause) === 'bad port') {
    return { kind: 'bad-request', message: `cannot connect to Ollama at ${host}: fetch refuses this port (a blocked "bad port")` };
  }
  // undici's generic texts: `fetch failed` before a response, `terminated` while reading the body.
  if (e.name === 'TypeError' && (message === 'fetch failed' || message === 'terminated')) {
    return { kind: 'connection', message: `connection to Ollama at ${host} lost: ${message}` };
  }
  // What is left is an `{"error":…}` line sent after streaming began (ollama-js rethrows it as a plain Error).
  return { kind: 'server', message };
}
