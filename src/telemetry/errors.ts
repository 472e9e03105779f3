// A span's error: `error.type` (low-cardinality), and a status and exception event whose text never carries a secret.
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { scrubText } from '../util/secrets.ts';
import { General } from './attributes.ts';

/** `error.type` for a thrown error: its code when it has one (the harness's errors do), else its class name. Never the message. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' && error.code !== '') return error.code;
  if (error instanceof Error) return error.name !== '' ? error.name : error.constructor.name;
  return '_OTHER';
}

/** A status message: exporters ship it off the machine, so a URL in it loses its credentials first. */
export function statusMessage(message: string): string {
  return scrubText(message);
}

/** Marks `span` failed by a thrown error: exception event, `error.type` and status, every URL in them scrubbed. */
export function recordError(span: Span, error: unknown): void {
  const message = statusMessage(error instanceof Error ? error.message : String(error));
  const stack = error instanceof Error && error.stack !== undefined ? { stack: scrubText(error.stack) } : {};
  span.recordException({ name: error instanceof Error ? error.name : 'Error', message, ...stack });
  span.setAttribute(General.errorType, errorType(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
