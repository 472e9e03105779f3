// The call cache a run may be lent (evaluations re-run datasets): replies kept by request, consulted before one is paid.
import type { ModelConfigInput } from '../llm/index.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';
import { validateContent } from '../llm/validate.ts';

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
 * The call's result from `cache` when it has one, else the call made and offered to it. A kept reply is typed again by
 * the request's own schema (a cache holds plain JSON), so a judge's verdict or a step's data comes back as `T`.
 *
 * @example
 * const result = await throughCache(services.cache, { messages, config }, () => callModel(messages, config));
 */
export async function throughCache<T>(
  cache: CallCache | undefined,
  request: { messages: readonly ChatMessage[]; config: ModelConfigInput<T> },
  call: () => Promise<ModelResult<T>>,
): Promise<ModelResult<T>> {
  if (!cache) return call();
  const kept = await cache.get(request);
  if (kept) return typedAgain(kept, request.config);
  const result = await call();
  await cache.put(request, result);
  return result;
}

/** A kept reply's data parsed again from its content under the request's schema (or JSON mode); none otherwise. */
function typedAgain<T>(kept: ModelResult, config: ModelConfigInput<T>): ModelResult<T> {
  const { data: _untyped, ...rest } = kept;
  if (!kept.success || (kept.toolCalls?.length ?? 0) > 0 || (!config.schema && !config.json)) return rest;
  const checked = validateContent<T>(kept.content, config.schema ? { schema: config.schema } : {});
  return checked.ok ? { ...rest, data: checked.data } : rest;
}
