// The actor logic behind one attempt of a model step: journal first, then (if not yet paid) the call and its score.
import { createHash } from 'node:crypto';
import { fromPromise } from 'xstate';
import type { ZodType } from 'zod';
import { callModel, resolveHost, type ModelConfigInput } from '../llm/index.ts';
import { HostPool } from '../llm/pool.ts';
import type { CallError, ChatMessage, ContextConfig, ModelResult } from '../llm/types.ts';
import { attachScore, scoreCalls, type Score, type Scorer } from '../score/index.ts';
import { recordReplayedCall, startCallSpan, type CallSpanInfo } from '../telemetry/call-span.ts';
import { actorPath, defaultOutagePolicy, serviceLogic, stepLabel, type JournalEntry, type OutagePolicy, type StepServices } from './services.ts';

/** Plain JSON: persisted with the snapshot while the call is in flight, and replayed as-is on restore. */
export interface ModelCallInput {
  step: string;
  /** Step-local part of the journal key: the step's pass, rung and attempt. */
  attemptKey: string;
  model: string;
  attempt: number;
  messages: ChatMessage[];
}

export interface ModelCallOutput {
  result: ModelResult;
  key: string;
  replayed: boolean;
  /** The run's outage policy, handed to the step's guards (services reach guards only through their actors). */
  outage: OutagePolicy;
}

/** What a step knows that is not JSON (schema, scorer): closed over here, never put in a snapshot. */
export interface ModelCallSpec {
  schema?: ZodType;
  json?: boolean;
  scorer?: Scorer;
  config?: Omit<ModelConfigInput, 'model' | 'schema' | 'json'>;
  /** Used when the run gives no policy (plain `createActor`). */
  outage?: OutagePolicy;
}

export function requestHash(model: string, messages: readonly ChatMessage[]): string {
  return createHash('sha256').update(JSON.stringify([model, messages])).digest('hex').slice(0, 16);
}

/**
 * The attempt logic of one model step, bound to a run's services by the runtime (see `provideServices`).
 *
 * @example
 * const attempt = modelCall({ schema: Invoice });
 * createActor(attempt, { input: { step: 'extract', attemptKey: 'x.m0.a1', model: 'qwen2.5-coder:7b', attempt: 1, messages } });
 */
export function modelCall(spec: ModelCallSpec) {
  return serviceLogic((services) =>
    fromPromise<ModelCallOutput, ModelCallInput>(({ input, self, signal }) => attempt(spec, services, input, self, signal)),
  );
}

type Self = Parameters<typeof stepLabel>[0];

async function attempt(spec: ModelCallSpec, services: StepServices, input: ModelCallInput, self: Self, signal: AbortSignal): Promise<ModelCallOutput> {
  const key = `${actorPath(self)}:${input.attemptKey}`;
  const hash = requestHash(input.model, input.messages);
  const step = stepLabel(self, input.step);
  const outage = services.outage ?? spec.outage ?? defaultOutagePolicy;

  const journaled = services.journal?.get(key);
  if (journaled && journaled.requestHash === hash) {
    recordReplayedCall(services.telemetry, spanInfo(input, step, spec.config), journaled.result);
    services.onCall?.({ type: 'call.end', key, step, result: journaled.result, replayed: true });
    return { result: revalidated(journaled.result, spec), key, replayed: true, outage };
  }

  // This actor starts inside the transition that invoked it: the snapshot that holds its key (the step's pass) is counted
  // only once that transition ends. Marking before would let the journal entry reach disk ahead of the checkpoint that
  // can find it again — a crash in between would pay for the call twice (seen under load, killing after a summary).
  await Promise.resolve();
  const mark = services.journal?.mark?.();
  const spent = services.budget?.exceeded() ?? null;
  if (spent) return { result: failed(input.model, { kind: 'budget', message: spent }), key, replayed: false, outage };

  const config: ModelConfigInput = { ...spec.config, model: input.model, ...withContextLimit(spec.config?.context, services) };
  if (spec.schema) config.schema = spec.schema;
  if (spec.json) config.json = true;
  // A stopping run sends nothing new: this attempt waits for the stop, and is made on resume.
  if (services.gate?.closed()) await stopped(signal);
  const release = services.limiter && !services.hosts ? await services.limiter.acquire(resolveHost(config.host), signal) : undefined;
  if (services.gate?.closed()) {
    release?.();
    await stopped(signal);
  }
  const leave = services.gate?.enter();
  let entry: JournalEntry;
  const span = startCallSpan(services.telemetry, spanInfo(input, step, config, services.hosts ? undefined : config.host));
  try {
    services.onCall?.({ type: 'call.start', key, step, model: input.model, attempt: input.attempt });
    const onToken = services.onCall ? (piece: string) => services.onCall?.({ type: 'call.token', key, piece }) : undefined;
    const options = { signal, ...(onToken ? { onToken } : {}), ...(services.context ? { windows: services.context.windows } : {}) };
    let result = await span.call(() => services.hosts
      ? services.hosts.call(input.messages, config, { ...options, ...(services.runKey ? { runKey: services.runKey } : {}), ...(isPool(services.limiter) ? { pool: services.limiter } : {}) })
      : callModel(input.messages, config, options));
    let judges: ModelResult[] = [];
    // A reply that calls tools is a step of an agent's loop, not its answer: there is nothing to score yet.
    if (result.success && spec.scorer && !signal.aborted && !callsTools(result)) {
      const score = await scoreSafely(spec.scorer, result, input.messages, signal);
      // A score cut off by a stop is no verdict: the call is made again on resume rather than journaled as a 0.
      if (score === null) {
        leave?.();
        return { result: failed(input.model, { kind: 'aborted', message: 'stopped while scoring' }), key, replayed: false, outage };
      }
      result = attachScore(result, score);
      span.scored(result.score);
      judges = scoreCalls(score);
    }
    result = { ...result, retries: input.attempt - 1 };
    entry = { key, requestHash: hash, step: input.step, result, messages: input.messages, at: new Date().toISOString(), ...(judges.length > 0 ? { judges } : {}) };
  } finally {
    release?.();
    span.end();
  }
  try {
    // A call cut off by a stop was not (fully) paid for and is made again on resume; one that completed is journaled.
    if (entry.result.metadata.error?.kind === 'aborted') return { result: entry.result, key, replayed: false, outage };
    await services.journal?.record(entry, mark);
  } finally {
    leave?.();
  }
  services.onCall?.({ type: 'call.end', key, step, result: entry.result, replayed: false });
  return { result: entry.result, key, replayed: false, outage };
}

/** The step's context config with the run's num_ctx limit applied (the smaller limit wins). */
function withContextLimit(context: ContextConfig | undefined, services: StepServices): { context?: ContextConfig } {
  const limit = services.context?.maxNumCtx;
  if (limit === undefined) return context ? { context } : {};
  return { context: { ...context, maxNumCtx: Math.min(limit, context?.maxNumCtx ?? limit) } };
}

/** What the call's span is told before the call (see src/telemetry/call-span.ts). */
function spanInfo(input: ModelCallInput, step: string, config: ModelCallSpec['config'], host?: string): CallSpanInfo {
  return { step, attemptKey: input.attemptKey, attempt: input.attempt, model: input.model, messages: input.messages, maxTokens: config?.maxTokens, temperature: config?.temperature, options: config?.options, host };
}

/** Settles only by rejecting when the actor is stopped: an attempt that must not start waits here for the stop. */
function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function isPool(limiter: StepServices['limiter']): limiter is HostPool {
  return limiter instanceof HostPool;
}

/** A scorer that throws scores 0 with the reason (the paid call is still journaled); null when the stop cut it off. */
async function scoreSafely(scorer: Scorer, result: ModelResult, messages: ChatMessage[], signal: AbortSignal): Promise<Score | null> {
  try {
    const score = await scorer({ content: result.content, ...(result.data !== undefined ? { data: result.data } : {}), messages }, { signal });
    return signal.aborted ? null : score;
  } catch (error) {
    if (signal.aborted) return null;
    return { value: 0, reasons: [`scorer failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

/** A journaled reply is checked against today's schema, so one journaled under an older schema never passes as valid. */
function revalidated(result: ModelResult, spec: ModelCallSpec): ModelResult {
  if (!result.success || !spec.schema || callsTools(result)) return result;
  const parsed = spec.schema.safeParse(result.data);
  if (parsed.success) return { ...result, data: parsed.data };
  const error: CallError = { kind: 'invalid-output', message: 'the journaled reply no longer matches the step schema' };
  return { ...result, success: false, metadata: { ...result.metadata, error } };
}

/** The reply called tools (its arguments were checked when it arrived): it carries no answer for the schema or scorer. */
function callsTools(result: ModelResult): boolean {
  return (result.toolCalls?.length ?? 0) > 0;
}

function failed(model: string, error: CallError): ModelResult {
  return { content: '', model, tokensIn: 0, tokensOut: 0, durationMs: 0, ttftMs: null, success: false, retries: 0, score: null, metadata: { host: '', error } };
}
