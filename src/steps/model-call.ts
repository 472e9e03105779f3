// The actor logic behind one attempt of a model step: journal first, then (if not yet paid) the call and its score.
import { createHash } from 'node:crypto';
import { fromPromise } from 'xstate';
import type { ZodType } from 'zod';
import { callModel, resolveHost, type ModelConfigInput } from '../llm/index.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';
import { attachScore, scoreCalls, type Score, type Scorer } from '../score/index.ts';
import { actorPath, servicesOf, stepLabel, type JournalEntry } from './services.ts';

/** Plain JSON: persisted with the snapshot while the call is in flight, and replayed as-is on restore. */
export interface ModelCallInput {
  step: string;
  /** Step-local part of the journal key: pass and attempt number. */
  attemptKey: string;
  model: string;
  attempt: number;
  messages: ChatMessage[];
}

export interface ModelCallOutput {
  result: ModelResult;
  key: string;
  replayed: boolean;
  /** Set (and no call made) when the run's budget was already spent. */
  budgetExceeded: string | null;
}

/** What a step knows that is not JSON (schema, scorer): closed over here, never put in a snapshot. */
export interface ModelCallSpec {
  schema?: ZodType;
  json?: boolean;
  scorer?: Scorer;
  config?: Omit<ModelConfigInput, 'model' | 'schema' | 'json'>;
}

export function requestHash(model: string, messages: readonly ChatMessage[]): string {
  return createHash('sha256').update(JSON.stringify([model, messages])).digest('hex').slice(0, 16);
}

/** Creates the attempt logic of one model step. */
export function createModelCall(spec: ModelCallSpec) {
  return fromPromise<ModelCallOutput, ModelCallInput>(async ({ input, system, self, signal }) => {
    const services = servicesOf(system);
    const key = `${actorPath(self)}:${input.attemptKey}`;
    const hash = requestHash(input.model, input.messages);
    const step = stepLabel(self, input.step);

    const journaled = services.journal.get(key);
    if (journaled && journaled.requestHash === hash) {
      services.onCall?.({ type: 'call.end', key, step, result: journaled.result, replayed: true });
      return { result: journaled.result, key, replayed: true, budgetExceeded: null };
    }

    const spent = services.budget?.exceeded() ?? null;
    if (spent) return { result: budgetResult(input.model, spent), key, replayed: false, budgetExceeded: spent };

    const config: ModelConfigInput = { ...spec.config, model: input.model };
    if (spec.schema) config.schema = spec.schema;
    if (spec.json) config.json = true;
    const release = services.limiter ? await services.limiter.acquire(resolveHost(config.host), signal) : undefined;
    let entry: JournalEntry;
    try {
      services.onCall?.({ type: 'call.start', key, step, model: input.model, attempt: input.attempt });
      const onToken = services.onCall ? (piece: string) => services.onCall?.({ type: 'call.token', key, piece }) : undefined;
      let result = await callModel(input.messages, config, { signal, ...(onToken ? { onToken } : {}) });
      let judges: ModelResult[] = [];
      if (result.success && spec.scorer && !signal.aborted) {
        const score = await scoreSafely(spec.scorer, result, input.messages, signal);
        result = attachScore(result, score);
        judges = scoreCalls(score);
      }
      result = { ...result, retries: input.attempt - 1 };
      entry = { key, requestHash: hash, step: input.step, result, at: new Date().toISOString(), ...(judges.length > 0 ? { judges } : {}) };
    } finally {
      release?.();
    }
    // A call cut off by a stop was not (fully) paid for and is made again on resume; one that completed is journaled.
    if (entry.result.metadata.error?.kind === 'aborted') return { result: entry.result, key, replayed: false, budgetExceeded: null };
    await services.journal.record(entry);
    services.onCall?.({ type: 'call.end', key, step, result: entry.result, replayed: false });
    return { result: entry.result, key, replayed: false, budgetExceeded: null };
  });
}

/** A scorer that throws scores 0 with the reason: the paid call is still journaled, and the step escalates or flags. */
async function scoreSafely(scorer: Scorer, result: ModelResult, messages: ChatMessage[], signal: AbortSignal): Promise<Score> {
  try {
    return await scorer({ content: result.content, ...(result.data !== undefined ? { data: result.data } : {}), messages }, { signal });
  } catch (error) {
    return { value: 0, reasons: [`scorer failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
}

function budgetResult(model: string, reason: string): ModelResult {
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
    metadata: { host: '', error: { kind: 'aborted', message: reason } },
  };
}
