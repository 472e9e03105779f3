// Where a chat/generate reply goes: Ollama's own NDJSON/JSON, or a translation (the OpenAI layer wraps it as Ollama does).
import type { ServerResponse } from 'node:http';
import { NDJSON_TYPE, sendJson, writeLine } from './wire.ts';

/**
 * The native reply objects pass through here, so one generation path serves /api/* and /v1/* alike — the way
 * Ollama's OpenAI middleware wraps its own handlers' writer.
 */
export interface Responder {
  readonly res: ServerResponse;
  /** An error before anything was sent: status and Ollama's message (`contentType` where gin's differs). */
  fail(status: number, message: string, contentType?: string): void;
  /** One streamed object (a chunk or the done line); false when the client is gone. */
  line(value: Record<string, unknown>): boolean;
  /** The error line that ends a stream that already began (status stays 200). */
  streamError(message: string): void;
  /** The whole reply of a non-streaming request. */
  whole(value: Record<string, unknown>): void;
  end(): void;
}

export function nativeResponder(res: ServerResponse): Responder {
  return {
    res,
    fail: (status, message, contentType) => sendJson(res, status, { error: message }, contentType),
    line: (value) => {
      if (!res.headersSent && !res.destroyed) res.writeHead(200, { 'Content-Type': NDJSON_TYPE });
      return writeLine(res, value);
    },
    streamError: (message) => void writeLine(res, { error: message }),
    whole: (value) => sendJson(res, 200, value),
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}
