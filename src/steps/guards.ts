// The named guards of a model step: each decision of the retry/escalation policy is one of these.
import { isRetryable } from '../llm/retryable.ts';
import type { HarnessContext, StepState } from './context.ts';

export interface StepParams {
  step: string;
}
export interface RetryParams extends StepParams {
  maxRetries: number;
}
export interface ThresholdParams extends StepParams {
  threshold: number;
}
export interface LadderParams extends StepParams {
  ladder: readonly string[];
}

interface GuardArgs {
  context: HarnessContext;
}

/** The step's state; a guard on a step that never started is a bug in the machine, so fail loudly. */
export function stepOf(context: HarnessContext, step: string): StepState {
  const state = context.steps[step];
  if (!state) throw new Error(`model step "${step}" has no state in context.steps: was its state entered?`);
  return state;
}

const lastError = (context: HarnessContext, step: string) => stepOf(context, step).last?.metadata.error;

export const stepGuards = {
  /** The reply arrived and passed its schema / JSON check. */
  isValid: ({ context }: GuardArgs, { step }: StepParams) => stepOf(context, step).last?.success === true,
  /** No scorer, or the score reached the step's threshold. */
  meetsThreshold: ({ context }: GuardArgs, { step, threshold }: ThresholdParams) => {
    const score = stepOf(context, step).last?.score ?? null;
    return score === null || score >= threshold;
  },
  isInvalidOutput: ({ context }: GuardArgs, { step }: StepParams) => lastError(context, step)?.kind === 'invalid-output',
  /** A failure that may pass on its own: timeout, connection, busy, server error. */
  isTransient: ({ context }: GuardArgs, { step }: StepParams) => {
    const kind = lastError(context, step)?.kind;
    return kind !== undefined && kind !== 'invalid-output' && isRetryable(kind);
  },
  /** Retries left on the current model (attempt counts from 1; `maxRetries` retries follow the first try). */
  canRetry: ({ context }: GuardArgs, { step, maxRetries }: RetryParams) => stepOf(context, step).attempt <= maxRetries,
  /** A larger model is left on the ladder. */
  canEscalate: ({ context }: GuardArgs, { step, ladder }: LadderParams) => stepOf(context, step).ladderIndex + 1 < ladder.length,
  /** The run's token and wall-time budgets still allow calls. */
  withinBudget: ({ context }: GuardArgs, { step }: StepParams) => stepOf(context, step).budgetExceeded === null,
  /** The step ended flagged rather than done (read by the step's onDone). */
  stepFlagged: ({ context }: GuardArgs, { step }: StepParams) => stepOf(context, step).status === 'flagged',
};
