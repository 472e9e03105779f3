// The call cache a run may be lent (evaluations re-run datasets): replies kept by request, consulted before one is paid.
import type { ModelConfigInput } from '../llm/index.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';

/** What a reply is kept and found by: the request as it would be sent (model, messages, format, options, tools). */
export interface CachedRequest {
  messages: readonly ChatMessage[];
  config: ModelConfigInput;
}

/**
 * Replies kept across runs, by request. The runtime consults it after the step journal (a resumed run replays its own
 * calls first) and before a call is paid for; what it answers is journaled like any reply.
 */
export interface CallCache {
  /** The reply an identical request got before, checked against today's schema; undefined when there is none. */
  get(request: CachedRequest): Promise<ModelResult | undefined>;
  /** Offers a reply the model gave; a cache keeps only replies (a host's failure says nothing about the request). */
  put(request: CachedRequest, result: ModelResult): Promise<void>;
}

/**
 * The call's result from `cache` when it has one, else the call made and offered to it.
 *
 * @example
 * const result = await throughCache(services.cache, { messages, config }, () => callModel(messages, config));
 */
export async function throughCache(cache: CallCache | undefined, request: CachedRequest, call: () => Promise<ModelResult>): Promise<ModelResult> {
  if (!cache) return call();
  const kept = await cache.get(request);
  if (kept) return kept;
  const result = await call();
  await cache.put(request, result);
  return result;
}
