import { describe, it, expect } from 'vitest';
import { classifyError, TimeoutError } from '../../src/llm/errors.ts';

const host = 'http://127.0.0.1:11434';
const ctx = { host, timeoutMs: 500 };

// Errors shaped exactly as ollama-js 0.6.4 and Node's fetch (undici) throw them.
function responseError(message: string, status: number): Error {
  const err = new Error(message) as Error & { status_code: number };
  err.name = 'ResponseError';
  err.status_code = status;
  return err;
}
function fetchFailed(code: string, message: string): TypeError {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code }) });
}

describe('classifyError', () => {
  it('gives our own deadline and the caller precedence over whatever the fetch threw', () => {
    const abortError = new DOMException('This operation was aborted', 'AbortError');
    expect(classifyError(abortError, { ...ctx, timedOut: true })).toEqual({ kind: 'timeout', message: 'timed out after 500 ms' });
    expect(classifyError(abortError, { ...ctx, aborted: true })).toEqual({ kind: 'aborted', message: 'aborted by the caller' });
    expect(classifyError(abortError, { ...ctx, aborted: true, abortReason: new Error('shutting down') }))
      .toEqual({ kind: 'aborted', message: 'aborted by the caller: shutting down' });
    expect(new TimeoutError(500).message).toBe('timed out after 500 ms');
  });

  it.each([
    [404, "model 'foo' not found", 'model-not-found'],
    [404, '404 page not found', 'bad-request'],
    [400, 'model is required', 'bad-request'],
    [422, 'unprocessable', 'bad-request'],
    [503, 'server busy, please try again.  maximum pending requests exceeded', 'busy'],
    [500, 'llama runner process has terminated', 'server'],
    // Ollama's 500s for the request's own mistakes: retrying or another host cannot help.
    [500, 'option "temperature" must be of type float32', 'bad-request'],
    [500, 'option "stop" must be of an array of strings', 'bad-request'],
    [500, 'invalid format: "\\"yaml\\""; expected "json" or a valid JSON Schema object', 'bad-request'],
    [502, 'bad gateway', 'server'],
  ] as const)('ResponseError %i %j → %s', (status, message, kind) => {
    const result = classifyError(responseError(message, status), ctx);
    expect(result.kind).toBe(kind);
    expect(result.status).toBe(status);
    expect(result.message).toContain(message);
  });

  it('turns network failures into readable connection errors', () => {
    expect(classifyError(fetchFailed('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:11434'), ctx))
      .toEqual({ kind: 'connection', message: `cannot connect to Ollama at ${host}: connection refused` });
    expect(classifyError(fetchFailed('ENOTFOUND', 'getaddrinfo ENOTFOUND x'), ctx).message).toBe(
      `cannot connect to Ollama at ${host}: host not found`,
    );
    expect(classifyError(new TypeError('terminated', { cause: fetchFailed('UND_ERR_SOCKET', 'other side closed').cause }), ctx))
      .toEqual({ kind: 'connection', message: `connection to Ollama at ${host} lost: connection closed by the server` });
    expect(classifyError(new TypeError('terminated'), ctx).kind).toBe('connection');
  });

  it('treats a stream that ended without a done line as a lost connection', () => {
    expect(classifyError(new Error('Did not receive done or success response in stream.'), ctx))
      .toEqual({ kind: 'connection', message: `Ollama at ${host} closed the stream before the reply was complete` });
  });

  it('treats an error line sent mid-stream as a server error', () => {
    expect(classifyError(new Error('an error was encountered while running the model'), ctx))
      .toEqual({ kind: 'server', message: 'an error was encountered while running the model' });
  });
});
