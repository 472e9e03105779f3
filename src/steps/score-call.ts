// The model calls a step's scorer makes (a judge's), through the run's services and journaled under the graded call.
import { defaultModelConfig, isOutage, type ModelConfigInput } from '../llm/index.ts';
import type { Slots } from '../llm/pool.ts';
import type { CallError, ChatMessage, ModelResult } from '../llm/types.ts';
import type { ScoreCall } from '../score/types.ts';
import { recordReplayedCall } from '../telemetry/call-span.ts';
import { callThrough, notMade, requestHash, revalidated, spanInfo } from './call-through.ts';
import type { StepServices } from './services.ts';

/** The call being graded: the scorer's calls are keyed, labelled and reported under it. */
export interface GradedCall {
  /** Journal key of the graded reply: each scorer call is keyed `<key>/judge.<request hash>`. */
  key: string;
  /** The step's id (for journal entries) and its label (for the listener and spans). */
  stepId: string;
  step: string;
  attemptKey: string;
  attempt: number;
  /** The checkpoint mark of the graded call: the scorer calls' keys derive from its key, on disk from then on. */
  mark: number | undefined;
  /**
   * Makes the graded reply durable (once); called before anything is paid to grade it, so a scoring cut off and tried
   * again never pays for the reply twice.
   */
  journalReply: () => Promise<void>;
  /** The graded call's fan-out slots: a judge's call is one of the fan-out's calls in flight. */
  slots: readonly Slots[];
}

/** What one scoring lends its scorer, and what the step learns from it afterwards. */
export interface ScoreSession {
  call: ScoreCall;
  /** Why a call could not be made now (an outage, a spent budget, a stop): the score is then no verdict. */
  interrupted(): CallError | null;
  /** Resolves once no call is in flight any more (a composite's other judges); rejects with a journal write's failure. */
  settled(): Promise<void>;
}

/** A scorer call's journal key: derived from the graded call's and from the request, so a resumed run finds it. */
export function judgeKey(gradedKey: string, hash: string, occurrence: number): string {
  return `${gradedKey}/judge.${hash}${occurrence > 1 ? `.${occurrence}` : ''}`;
}

/**
 * The call service of one scoring. A call journaled by an earlier try (before a crash, or before an outage cut the
 * scoring off) is answered from the journal; a new one is checked against the budget, made through the run's services
 * (a judge's explicit host wins over the run's hosts) and journaled before the scorer sees it. A call the host failed
 * is not journaled: the scoring is interrupted, and the step judges again later under the same keys. Keys count
 * identical requests, so they do not depend on the order in which a composite's judges start.
 */
export function scoreSession(services: StepServices, graded: GradedCall, signal: AbortSignal): ScoreSession {
  let interruption: CallError | null = null;
  let failure: { error: unknown } | null = null;
  const inFlight = new Set<Promise<unknown>>();
  const occurrences = new Map<string, number>();
  const label = `${graded.step} (judge)`;

  async function make(messages: ChatMessage[], config: ModelConfigInput): Promise<ModelResult> {
    const model = config.model ?? defaultModelConfig.model;
    if (interruption) return notMade(model, interruption);
    const hash = requestHash(model, messages);
    const occurrence = (occurrences.get(hash) ?? 0) + 1;
    occurrences.set(hash, occurrence);
    const key = judgeKey(graded.key, hash, occurrence);
    const request = { key, step: label, attemptKey: graded.attemptKey, attempt: graded.attempt, messages, config: { ...config, model }, ownHost: true, slots: graded.slots };

    const journaled = services.journal?.get(key);
    if (journaled && journaled.requestHash === hash) {
      const result = revalidated(journaled.result, config.schema);
      recordReplayedCall(services.telemetry, spanInfo(request), journaled.result);
      services.onCall?.({ type: 'call.end', key, step: label, result, replayed: true });
      return result;
    }
    // The graded reply is journaled first: its tokens count against the budget this call is checked against.
    try {
      await graded.journalReply();
    } catch (error) {
      return fail(model, error);
    }
    const spent = services.budget?.exceeded() ?? null;
    if (spent) return interrupt(notMade(model, { kind: 'budget', message: spent }));
    let made;
    try {
      made = await callThrough(services, request, signal);
    } catch (error) {
      // Only a stop rejects here: the call was never sent, and is made on resume.
      interruption ??= { kind: 'aborted', message: 'stopped while scoring' };
      throw error;
    }
    const { result, span, leave } = made;
    const kind = result.metadata.error?.kind;
    try {
      if (kind !== 'aborted' && !isOutage(kind)) {
        await services.journal?.record({ key, requestHash: hash, step: `${graded.stepId} (judge)`, result, messages, at: new Date().toISOString() }, graded.mark);
      }
    } catch (error) {
      return fail(model, error);
    } finally {
      span.end();
      leave();
    }
    services.onCall?.({ type: 'call.end', key, step: label, result, replayed: false });
    return kind === 'aborted' || isOutage(kind) ? interrupt(result) : result;
  }

  /** The scoring is no verdict: the first reason is kept; the scorer is handed the failed call. */
  function interrupt(result: ModelResult): ModelResult {
    interruption ??= result.metadata.error ?? { kind: 'internal', message: 'scoring interrupted' };
    return result;
  }

  /** The journal refused a write (a storage failure, a fenced session): the attempt fails with it, as a model call's would. */
  function fail(model: string, error: unknown): ModelResult {
    failure ??= { error };
    return interrupt(notMade(model, { kind: 'internal', message: `journal write failed: ${error instanceof Error ? error.message : String(error)}` }));
  }

  const call: ScoreCall = (messages, config) => {
    const pending = make(messages, config);
    inFlight.add(pending);
    void pending.catch(() => undefined).finally(() => inFlight.delete(pending));
    return pending;
  };

  return {
    call,
    interrupted: () => interruption,
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      if (failure) throw failure.error;
    },
  };
}
