// Ollama's wire format at the HTTP level: bodies, content types, error texts and units, as its Go server emits them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { plain, scanJson } from './gojson.ts';
import { decode, errorText, type GoType } from './gotypes.ts';

/** The exact text of Ollama's queue-full error (two spaces before "maximum"). */
export const BUSY_MESSAGE = 'server busy, please try again.  maximum pending requests exceeded';
/** What Ollama says when the runner dies before answering. */
export const RUNNER_CRASH_MESSAGE = 'llama runner process has terminated: exit status 2';
/** What Ollama streams as the last line when the runner dies mid-reply. */
export const MIDSTREAM_MESSAGE = 'an error was encountered while running the model: unexpected EOF';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const NDJSON_TYPE = 'application/x-ndjson';
const TEXT_TYPE = 'text/plain; charset=utf-8';

export function notFoundMessage(model: string): string {
  return `model '${model}' not found`;
}

/** The body's bytes: blobs are hashed as sent, JSON bodies decode them as UTF-8. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `type` differs where Ollama sets the header itself before gin renders (progress and OpenAI replies). */
export function sendJson(res: ServerResponse, status: number, value: unknown, type = JSON_TYPE): void {
  if (res.destroyed) return;
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A 200 with no body, as gin sends when a handler writes nothing (delete, copy, blobs). */
export function sendEmpty(res: ServerResponse, status = 200): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Length': 0 });
  res.end();
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: message });
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Type': TEXT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Go's mux answers unknown paths with this plain text. */
export function sendNotFound(res: ServerResponse): void {
  sendText(res, 404, '404 page not found');
}

export function sendMethodNotAllowed(res: ServerResponse): void {
  sendText(res, 405, '405 method not allowed');
}

/** Writes one NDJSON line; false when the socket is gone. */
export function writeLine(res: ServerResponse, value: unknown): boolean {
  if (res.destroyed || res.writableEnded) return false;
  res.write(`${JSON.stringify(value)}\n`);
  return !res.destroyed;
}

/** Go's time.Time in JSON is RFC 3339 with nanoseconds; milliseconds are what JS has and parse the same. */
export function createdAt(): string {
  return new Date().toISOString();
}

/** Nanoseconds since `start` (a process.hrtime.bigint() reading), as the integer Ollama puts in durations. */
export function nsSince(start: bigint, end: bigint = process.hrtime.bigint()): number {
  return Math.max(1, Number(end - start));
}

/** `value` as Go decoded it (JSON names, unknown fields dropped); `raw` as sent, for what Go keeps verbatim. */
export type Parsed = { ok: true; value: Record<string, unknown>; raw: unknown } | { ok: false; message: string };

/**
 * Decodes a request body as gin's ShouldBindJSON does into Ollama's Go struct `type`: Go's syntax and
 * "cannot unmarshal" errors word for word; an empty body is io.EOF, which the native handlers report as
 * "missing request body" and the OpenAI middleware as "EOF".
 */
export function parseRequestBody(body: Uint8Array, type: GoType, emptyMessage = 'missing request body'): Parsed {
  const scanned = scanJson(body);
  if (!scanned.ok) return { ok: false, message: scanned.empty ? emptyMessage : scanned.message };
  const decoded = decode(scanned.node, type);
  if (!decoded.ok) return { ok: false, message: errorText(decoded.error) };
  const value = decoded.value;
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return { ok: true, value: record, raw: plain(scanned.node) };
}
