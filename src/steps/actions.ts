// The named actions of a model step: how each decision updates the step's record in context.
import { assign, type AnyEventObject } from 'xstate';
import { backoffDelay } from '../llm/backoff.ts';
import { retryFeedback } from '../llm/feedback.ts';
import { createRandom, hashString } from '../util/random.ts';
import type { AttemptRecord, HarnessContext, StepState } from './context.ts';
import { stepOf, type LadderParams, type StepParams } from './guards.ts';
import type { ModelCallOutput } from './model-call.ts';

export interface BackoffParams extends StepParams {
  baseMs: number;
  capMs: number;
}

type Args = { context: HarnessContext; event: AnyEventObject };

const update = (context: HarnessContext, step: string, patch: Partial<StepState>) => ({
  steps: { ...context.steps, [step]: { ...stepOf(context, step), ...patch } },
});

function describeAttempt(a: AttemptRecord): string {
  if (a.error) return `${a.model} attempt ${a.attempt}: ${a.error.kind} (${a.error.message})`;
  return `${a.model} attempt ${a.attempt}: score ${a.score ?? 'none'}`;
}

export const stepActions = {
  /** Entering a step starts a new pass with the first model of its ladder; earlier passes stay journaled. */
  enterStep: assign(({ context }: Args, { step, ladder }: LadderParams) => {
    const previous = context.steps[step];
    const fresh: StepState = {
      status: 'running',
      pass: (previous?.pass ?? 0) + 1,
      ladderIndex: 0,
      model: ladder[0] ?? '',
      attempt: 0,
      attempts: [],
      feedback: [],
      retryAt: null,
      last: null,
      result: null,
      budgetExceeded: null,
      reasons: [],
    };
    return { steps: { ...context.steps, [step]: fresh } };
  }),
  beginAttempt: assign(({ context }: Args, { step }: StepParams) =>
    update(context, step, { attempt: stepOf(context, step).attempt + 1, retryAt: null }),
  ),
  recordAttempt: assign(({ context, event }: Args, { step }: StepParams) => {
    const output = (event as AnyEventObject & { output: ModelCallOutput }).output;
    const state = stepOf(context, step);
    const r = output.result;
    const record: AttemptRecord = {
      model: r.model,
      attempt: state.attempt,
      key: output.key,
      success: r.success,
      score: r.score,
      tokensIn: r.tokensIn,
      tokensOut: r.tokensOut,
      durationMs: r.durationMs,
      ttftMs: r.ttftMs,
      replayed: output.replayed,
      ...(r.metadata.error ? { error: r.metadata.error } : {}),
      ...(r.metadata.issues ? { issues: r.metadata.issues } : {}),
    };
    return update(context, step, { last: r, attempts: [...state.attempts, record], budgetExceeded: output.budgetExceeded });
  }),
  /** The attempt's actor itself failed (a bug or a storage error, not a model failure): not retryable. */
  recordCrash: assign(({ context, event }: Args, { step }: StepParams) => {
    const state = stepOf(context, step);
    const message = event.error instanceof Error ? event.error.message : String(event.error);
    const error = { kind: 'bad-request' as const, message: `step actor failed: ${message}` };
    const last = { content: '', model: state.model, tokensIn: 0, tokensOut: 0, durationMs: 0, ttftMs: null, success: false, retries: state.attempt - 1, score: null, metadata: { host: '', error } };
    const record: AttemptRecord = { model: state.model, attempt: state.attempt, key: '', success: false, error, score: null, tokensIn: 0, tokensOut: 0, durationMs: 0, ttftMs: null, replayed: false };
    return update(context, step, { last, attempts: [...state.attempts, record] });
  }),
  /** Shows the model its invalid reply and the exact validation errors on the next attempt. */
  addFeedback: assign(({ context }: Args, { step }: StepParams) => {
    const state = stepOf(context, step);
    // retryFeedback only appends, so applying it to the earlier feedback alone yields the whole follow-up.
    return state.last ? update(context, step, { feedback: retryFeedback(state.feedback, state.last) }) : {};
  }),
  /** Sets an absolute retry time (persist-safe): jitter seeded by the attempt, so a run's schedule is reproducible. */
  scheduleRetry: assign(({ context }: Args, { step, baseMs, capMs }: BackoffParams) => {
    const state = stepOf(context, step);
    const random = createRandom(hashString(`${step}:${state.pass}:${state.ladderIndex}:${state.attempt}`));
    const delay = backoffDelay(state.attempt - 1, { baseMs, capMs, random });
    return update(context, step, { retryAt: Date.now() + Math.round(delay) });
  }),
  escalate: assign(({ context }: Args, { step, ladder }: LadderParams) => {
    const index = stepOf(context, step).ladderIndex + 1;
    return update(context, step, { ladderIndex: index, model: ladder[index] ?? '', attempt: 0, feedback: [] });
  }),
  acceptResult: assign(({ context }: Args, { step }: StepParams) => {
    const state = stepOf(context, step);
    return update(context, step, { status: 'done', result: state.last });
  }),
  flagStep: assign(({ context }: Args, { step }: StepParams) => {
    const state = stepOf(context, step);
    const last = state.attempts.at(-1);
    const lastWhy = last ? ` (last: ${last.error ? `${last.error.kind}: ${last.error.message}` : `score ${last.score ?? 'none'}`})` : '';
    const why = state.budgetExceeded
      ? `budget exceeded: ${state.budgetExceeded}`
      : `ladder exhausted after ${state.attempts.length} attempt(s)${lastWhy}`;
    const reasons = [why, ...state.attempts.map(describeAttempt)];
    return { ...update(context, step, { status: 'flagged', reasons }), flags: [...context.flags, `${step}: ${why}`] };
  }),
};
