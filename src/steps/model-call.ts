// The actor logic behind one attempt of a model step: journal first, then (if not yet paid) the call, then its score.
import { fromPromise } from 'xstate';
import type { ZodType } from 'zod';
import type { ModelConfigInput } from '../llm/index.ts';
import type { Slots } from '../llm/pool.ts';
import type { CallError, ChatMessage, ModelResult } from '../llm/types.ts';
import { attachScore, type Score, type ScoreCall, type Scorer } from '../score/index.ts';
import { recordReplayedCall, type CallSpan } from '../telemetry/call-span.ts';
import { callThrough, notMade, requestHash, revalidated, spanInfo } from './call-through.ts';
import { fanOutSlotsOf } from './fan-out.ts';
import { scoreSession } from './score-call.ts';
import { actorPath, defaultOutagePolicy, servicesOf, stepLabel, type JournalEntry, type OutagePolicy, type StepServices } from './services.ts';

export { requestHash } from './call-through.ts';

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
  /** When the attempt settled, on the run's driven clock (see `StepServices.clock`): outage windows are measured on it. */
  at: number;
  /**
   * The reply was paid and journaled, but the calls grading it could not be made (an outage, a spent budget): the
   * result carries that error, and the same attempt key judges the journaled reply again without paying for it.
   */
  scoreInterrupted?: true;
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

/**
 * The attempt logic of one model step, given its run's services through XState's system (see `lendServices`).
 *
 * @example
 * const attempt = modelCall({ schema: Invoice });
 * createActor(attempt, { input: { step: 'extract', attemptKey: 'x.m0.a1', model: 'qwen2.5-coder:7b', attempt: 1, messages } });
 */
export function modelCall(spec: ModelCallSpec) {
  return fromPromise<ModelCallOutput, ModelCallInput>(({ input, self, signal, system }) => attempt(spec, servicesOf(system), input, self, signal));
}

type Self = Parameters<typeof stepLabel>[0];

/** The reply of an attempt, journaled or still to be: what the scoring that follows needs to know about it. */
interface Reply {
  result: ModelResult;
  replayed: boolean;
  /** The entry to journal (or journaled unscored, and to be written again with the score). */
  entry: JournalEntry;
  journaled: boolean;
  span: CallSpan | null;
  /** The gate ticket of the call, given back once it is journaled. */
  leave: () => void;
}

async function attempt(spec: ModelCallSpec, services: StepServices, input: ModelCallInput, self: Self, signal: AbortSignal): Promise<ModelCallOutput> {
  const key = `${actorPath(self)}:${input.attemptKey}`;
  const hash = requestHash(input.model, input.messages);
  const step = stepLabel(self, input.step);
  const outage = services.outage ?? spec.outage ?? defaultOutagePolicy;
  const clock = services.clock ?? Date.now;
  const settle = (result: ModelResult, replayed: boolean, scoreInterrupted = false): ModelCallOutput => ({
    result, key, replayed, outage, at: clock(), ...(scoreInterrupted ? { scoreInterrupted: true } : {}),
  });
  const config: ModelConfigInput & { model: string } = { ...spec.config, model: input.model };
  if (spec.schema) config.schema = spec.schema;
  if (spec.json) config.json = true;
  const request = { key, step, attemptKey: input.attemptKey, attempt: input.attempt, messages: input.messages, config, slots: fanOutSlotsOf(self, services) };
  // The checkpoint that started this call: its keys are on disk before any of its results is journaled. This actor
  // starts inside the transition that invoked it, and the snapshot that holds its key (the step's pass) is counted only
  // once that transition ends: marking before would let the journal entry reach disk ahead of the checkpoint that can
  // find it again — a crash in between would pay for the call twice (seen under load, killing after a summary).
  await Promise.resolve();
  const mark = services.journal?.mark?.();

  let reply: Reply;
  const journaled = services.journal?.get(key);
  if (journaled && journaled.requestHash === hash) {
    const result = revalidated(journaled.result, spec.schema);
    recordReplayedCall(services.telemetry, spanInfo(request), journaled.result);
    if (!awaitsScore(spec.scorer, result)) return done(settle(result, true));
    // Paid for and journaled before a crash or an outage cut its scoring off: only the scoring is left to do.
    const entry: JournalEntry = { key, requestHash: hash, step: input.step, result: journaled.result, messages: input.messages, at: journaled.at };
    reply = { result, replayed: true, entry, journaled: true, span: null, leave: () => undefined };
  } else {
    const spent = services.budget?.exceeded() ?? null;
    if (spent) return settle(notMade(input.model, { kind: 'budget', message: spent }), false);
    const made = await callThrough(services, request, signal);
    const result = { ...made.result, retries: input.attempt - 1 };
    const entry: JournalEntry = { key, requestHash: hash, step: input.step, result, messages: input.messages, at: new Date().toISOString() };
    reply = { result, replayed: false, entry, journaled: false, span: made.span, leave: made.leave };
    // A call cut off by a stop was not (fully) paid for and is made again on resume; one that completed is journaled.
    if (result.metadata.error?.kind === 'aborted') return finish(reply, () => settle(result, false), false);
    if (!awaitsScore(spec.scorer, result) || signal.aborted) return finish(reply, () => done(settle(result, false)));
  }
  return judged(services, { ...request, scorer: spec.scorer, mark, reply }, signal, settle, done);

  function done(output: ModelCallOutput): ModelCallOutput {
    services.onCall?.({ type: 'call.end', key, step, result: output.result, replayed: output.replayed });
    return output;
  }

  /** Journals the reply as it is (unless `journal` is false), then settles; the gate ticket and the span end with it. */
  async function finish(r: Reply, then: () => ModelCallOutput, journal = true): Promise<ModelCallOutput> {
    try {
      if (journal) await services.journal?.record(r.entry, mark);
    } finally {
      r.span?.end();
      r.leave();
    }
    return then();
  }
}

interface Judging {
  scorer: Scorer;
  key: string;
  step: string;
  attemptKey: string;
  attempt: number;
  messages: ChatMessage[];
  mark: number | undefined;
  reply: Reply;
  slots: readonly Slots[];
}

/**
 * Scores a valid reply. The scorer's model calls go through the run's services (see score-call.ts); before the first
 * of them the reply is journaled on its own, so an outage that cuts the scoring off costs the judge's call only. The
 * reply's entry is then written again with its score (the same key: one call, paid and counted once). A scorer that
 * calls no model leaves one entry, written once, as before.
 */
async function judged(
  services: StepServices,
  judging: Judging,
  signal: AbortSignal,
  settle: (result: ModelResult, replayed: boolean, scoreInterrupted?: boolean) => ModelCallOutput,
  done: (output: ModelCallOutput) => ModelCallOutput,
): Promise<ModelCallOutput> {
  const { reply, mark } = judging;
  let journaling: Promise<void> | null = reply.journaled ? Promise.resolve() : null;
  const journalReply = () => {
    journaling ??= (async () => {
      try {
        await services.journal?.record(reply.entry, mark);
      } finally {
        // The reply's gate ticket is given back before a judge's call takes its own: a stop never waits on itself.
        reply.leave();
      }
    })();
    return journaling;
  };
  const graded = { key: judging.key, stepId: reply.entry.step, step: judging.step, attemptKey: judging.attemptKey, attempt: judging.attempt, mark, journalReply, slots: judging.slots };
  const session = scoreSession(services, graded, signal);
  try {
    const score = await scoreSafely(judging.scorer, reply.result, judging.messages, signal, session.call);
    await session.settled();
    const interrupted = session.interrupted();
    // A score cut off by a stop is no verdict: the scoring is done again on resume rather than journaled as a 0.
    if (score === null || signal.aborted || interrupted?.kind === 'aborted') {
      return settle(notMade(reply.result.model, { kind: 'aborted', message: 'stopped while scoring' }), reply.replayed);
    }
    if (interrupted) {
      await journalReply();
      // An outage says whose call it was (the reply's own is journaled and fine); a spent budget speaks for itself.
      const error: CallError = interrupted.kind === 'budget' ? interrupted : { ...interrupted, message: `judging the reply: ${interrupted.message}` };
      return done(settle({ ...reply.result, success: false, metadata: { ...reply.result.metadata, error } }, reply.replayed, true));
    }
    const scored = attachScore(reply.result, score);
    reply.span?.scored(scored.score);
    // The journal keeps the reply as it was recorded (a replayed one was revalidated for this run only).
    const entry: JournalEntry = { ...reply.entry, result: attachScore(reply.entry.result, score) };
    if (journaling === null) {
      // No model call graded it: the reply and its score are one entry, written once.
      await services.journal?.record(entry, mark);
    } else if (!services.gate?.closed()) {
      // A stopping run skips this: the reply is journaled, and a resumed run scores it again from the journal.
      const leave = services.gate?.enter(`${judging.step} (scoring)`);
      try {
        await services.journal?.record(entry, mark);
      } finally {
        leave?.();
      }
    }
    return done(settle(scored, reply.replayed));
  } finally {
    reply.span?.end();
    reply.leave();
  }
}

/** A valid answer with a scorer and no score yet (a reply that calls tools is a step of an agent's loop, not an answer). */
function awaitsScore(scorer: Scorer | undefined, result: ModelResult): scorer is Scorer {
  return scorer !== undefined && result.success && result.score === null && (result.toolCalls?.length ?? 0) === 0;
}

/** A scorer that throws scores 0 with the reason (the paid call is still journaled); null when the stop cut it off. */
async function scoreSafely(scorer: Scorer, result: ModelResult, messages: ChatMessage[], signal: AbortSignal, call: ScoreCall): Promise<Score | null> {
  try {
    const score = await scorer({ content: result.content, ...(result.data !== undefined ? { data: result.data } : {}), messages }, { signal, call });
    return signal.aborted ? null : score;
  } catch (error) {
    if (signal.aborted) return null;
    return { value: 0, reasons: [`scorer failed: ${error instanceof Error ? error.message : String(error)}`] };
  }
}
