// A stored call's prompt against its window (`metadata.context`), read without trusting the stored JSON, and the
// compaction calls of a run summed.
import type { StoredCall } from '../store/index.ts';

/** What a call's `metadata.context` says, as shown: tokens evaluated against num_ctx, the estimate, any cut. */
export interface StoredCallContext {
  estimate: number | null;
  promptTokens: number | null;
  numCtx: number | null;
  window: number | null;
  truncated: boolean;
  truncation: string | null;
  compaction: boolean;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Null for calls journaled before windows were measured (and for tool calls). */
export function callContext(call: StoredCall): StoredCallContext | null {
  const metadata: Record<string, unknown> = call.metadata;
  const context = metadata.context;
  if (!isObject(context)) return null;
  return {
    estimate: num(context.estimate),
    promptTokens: num(context.promptTokens),
    numCtx: num(context.numCtx),
    window: num(context.window),
    truncated: context.truncated === true,
    truncation: typeof context.truncation === 'string' ? context.truncation : null,
    compaction: context.purpose === 'compaction',
  };
}

/** `3934/8192` (tokens evaluated / num_ctx), `~3900/8192` before a reply, `cut 4090/4096` when the host cut it. */
export function promptAgainstWindow(context: StoredCallContext | null): string {
  if (context === null) return '-';
  const tokens = context.promptTokens !== null ? String(context.promptTokens) : context.estimate !== null ? `~${context.estimate}` : '?';
  const room = context.numCtx ?? context.window;
  return `${context.truncated ? 'cut ' : ''}${tokens}/${room ?? '?'}`;
}
