// One model call made through a run's services: the stop gate, the host limiter, routing over the run's hosts, the
// run's model windows and num_ctx limit, a span.
import { createHash } from 'node:crypto';
import type { ZodType } from 'zod';
import { callModel, resolveHost, type ModelConfigInput } from '../llm/index.ts';
import { HostPool, type Slots } from '../llm/pool.ts';
import { unsentResult } from '../llm/result.ts';
import type { CallError, ChatMessage, ContextConfig, ModelResult } from '../llm/types.ts';
import { validateContent } from '../llm/validate.ts';
import { startCallSpan, type CallSpan, type CallSpanInfo } from '../telemetry/call-span.ts';
import type { StepServices } from './services.ts';
import { throughCache } from './call-cache.ts';

/** Hash of model + messages: a journaled result is reused only for the very same request. */
export function requestHash(model: string, messages: readonly ChatMessage[]): string {
  return createHash('sha256').update(JSON.stringify([model, messages])).digest('hex').slice(0, 16);
}

/** Who makes the call and why: what the listener, the span and the journal key are told. */
export interface CallRequest<T = unknown> {
  /** The call's journal key, which also names it to the call listener. */
  key: string;
  /** The step's label (`security/review`; a judge's call: `security/review (judge)`). */
  step: string;
  /** Step-local key, `<pass>.m<rung>.a<attempt>`: the span reads the ladder rung from it. */
  attemptKey: string;
  attempt: number;
  messages: ChatMessage[];
  config: ModelConfigInput<T> & { model: string };
  /**
   * The config's own `host` wins over the run's hosts (a judge given a host). Without it a step's calls are routed over
   * the run's hosts whatever its config says.
   */
  ownHost?: boolean;
  /** The slots of the fan-outs the call runs under, taken before the host's (see `fanOutSlotsOf`). */
  slots?: readonly Slots[];
}

/** A call made: its result, the span (still open, for a score), and the gate ticket to give back once it is journaled. */
export interface MadeCall<T = unknown> {
  result: ModelResult<T>;
  span: CallSpan;
  /** Marks the call done for a graceful stop, which waits for calls in flight to be journaled. */
  leave: () => void;
}

/**
 * Makes the call as the run's services say. A stopping run sends nothing new: the call then waits for the stop (the
 * actor's signal), which rejects, and it is made on resume.
 */
export async function callThrough<T>(services: StepServices, request: CallRequest<T>, signal: AbortSignal): Promise<MadeCall<T>> {
  // Every call (a step's, a judge's, a summary's) is measured against its model's window with the run's windows, and
  // held to the workflow's num_ctx limit.
  const config = withContextLimit(request.config, services);
  const hosts = services.hosts && !(request.ownHost && config.host !== undefined) ? services.hosts : null;
  if (services.gate?.closed()) await stopped(signal);
  const host = services.limiter && !hosts ? () => services.limiter?.acquire(resolveHost(config.host), signal) : null;
  // A call with no slot to take starts without a wait, as it did before there were fan-out slots.
  const release = host || (request.slots?.length ?? 0) > 0 ? await acquireAll(request.slots ?? [], host, signal) : () => undefined;
  if (services.gate?.closed()) {
    release();
    await stopped(signal);
  }
  const leave = services.gate?.enter(`${request.step} (${config.model})`) ?? (() => undefined);
  const span = startCallSpan(services.telemetry, spanInfo(request, hosts ? undefined : config.host));
  try {
    services.onCall?.({ type: 'call.start', key: request.key, step: request.step, model: config.model, attempt: request.attempt });
    const onToken = services.onCall ? (piece: string) => services.onCall?.({ type: 'call.token', key: request.key, piece }) : undefined;
    const options = { signal, ...(onToken ? { onToken } : {}), ...(services.context ? { windows: services.context.windows } : {}) };
    // A reply the run's cache kept (evaluations) is not paid again; it is journaled like any reply.
    const result = await span.call(() => throughCache(services.cache, { messages: request.messages, config }, () => hosts
      ? hosts.call(request.messages, config, { ...options, ...(services.runKey ? { runKey: services.runKey } : {}), ...(services.limiter instanceof HostPool ? { pool: services.limiter } : {}) })
      : callModel(request.messages, config, options)));
    return { result, span, leave };
  } catch (error) {
    leave();
    span.end();
    throw error;
  } finally {
    release();
  }
}

/**
 * Takes the fan-outs' slots in order, then the host's: every call takes them in that order, so none waits on a slot
 * while holding one another call waits for in the other order. Gives back what it took if a wait is cut short; the
 * release gives back the host's slot first.
 */
async function acquireAll(slots: readonly Slots[], host: (() => Promise<() => void> | undefined) | null, signal: AbortSignal): Promise<() => void> {
  const held: (() => void)[] = [];
  const release = () => {
    for (let taken = held.pop(); taken; taken = held.pop()) taken();
  };
  try {
    for (const slot of slots) held.push(await slot.acquire(signal));
    const hostSlot = await host?.();
    if (hostSlot) held.push(hostSlot);
  } catch (error) {
    release();
    throw error;
  }
  return release;
}

/**
 * The call's config with the run's num_ctx limit applied (the smaller limit wins); without a limit, the very config
 * given (a step's frozen one is checked once, not every call).
 */
function withContextLimit<C extends { context?: ContextConfig | undefined }>(config: C, services: StepServices): C {
  const limit = services.context?.maxNumCtx;
  if (limit === undefined) return config;
  return { ...config, context: { ...config.context, maxNumCtx: Math.min(limit, config.context?.maxNumCtx ?? limit) } };
}

/** What the call's span is told before the call (see src/telemetry/call-span.ts). */
export function spanInfo(request: Pick<CallRequest, 'step' | 'attemptKey' | 'attempt' | 'messages' | 'config'>, host?: string): CallSpanInfo {
  const { config } = request;
  return { step: request.step, attemptKey: request.attemptKey, attempt: request.attempt, model: config.model, messages: request.messages, maxTokens: config.maxTokens, temperature: config.temperature, options: config.options, host };
}

/** Settles only by rejecting when the actor is stopped: a call that must not start waits here for the stop. */
export function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * A journaled reply is checked against today's schema, so one journaled under an older schema never passes as valid.
 * It is read again from its text, as the call read it: its data is the schema's output (transformed, piped,
 * defaulted), which the schema would transform again or refuse.
 */
export function revalidated(result: ModelResult, schema: ZodType | undefined): ModelResult {
  if (!result.success || !schema || (result.toolCalls?.length ?? 0) > 0) return result;
  const checked = validateContent(result.content, { schema });
  if (checked.ok) return { ...result, data: checked.data };
  const error: CallError = { kind: 'invalid-output', message: 'the journaled reply no longer matches the schema' };
  return { ...result, success: false, metadata: { ...result.metadata, error } };
}

/** A call that was never made (a spent budget, a scoring the run gave up on): no tokens, the reason as its error. */
export function notMade(model: string, error: CallError): ModelResult {
  return unsentResult(model, '', error);
}
