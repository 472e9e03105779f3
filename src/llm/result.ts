// A result for a call that was never sent (refused, no host, stopped first): no reply, no tokens, the reason why.
import type { CallError, CallMetadata, ModelResult } from './types.ts';

export function unsentResult<T>(model: string, host: string, error: CallError, metadata: Omit<CallMetadata, 'host' | 'error'> = {}): ModelResult<T> {
  return {
    content: '',
    model,
    tokensIn: 0,
    tokensOut: 0,
    durationMs: 0,
    ttftMs: null,
    success: false,
    retries: 0,
    score: null,
    metadata: { host, error, ...metadata },
  };
}
