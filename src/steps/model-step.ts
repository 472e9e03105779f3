// The model step: a state config in which validate → score → retry / back off / escalate / flag are guarded transitions.
import { and, not, type AnyStateNodeConfig } from 'xstate';
import type { ZodType } from 'zod';
import { defaultModelConfig } from '../llm/config.ts';
import type { ChatMessage } from '../llm/types.ts';
import type { Scorer } from '../score/types.ts';
import type { HarnessContext } from './context.ts';
import { stepOf } from './guards.ts';
import { createModelCall, type ModelCallInput, type ModelCallSpec } from './model-call.ts';

export interface ModelStepSpec<TContext extends HarnessContext = HarnessContext> {
  /** Unique within its machine: names the step's record in `context.steps` and its journal keys. */
  id: string;
  /** The conversation for this step, built from the context (e.g. from an earlier step's result). */
  prompt: (args: { context: TContext }) => ChatMessage[];
  schema?: ZodType;
  json?: boolean;
  /** Models to try in order, smallest first. Default: the default model only. */
  ladder?: readonly string[];
  /** Retries per model after the first try, for invalid output or a transient error. Default 2. */
  maxRetries?: number;
  scorer?: Scorer;
  /** Minimum score to accept a valid reply; below it the step escalates. Default 0.7. */
  threshold?: number;
  /** Backoff before retrying a transient error: full jitter, capped. Defaults 1000 / 30000 ms. */
  backoff?: { baseMs?: number; capMs?: number };
  config?: ModelCallSpec['config'];
}

export interface StepTargets {
  /** Where to go with an accepted result (in `context.steps[id].result`). */
  onDone: string;
  /** Where to go when the ladder is exhausted or the budget is spent (reasons in `context.steps[id].reasons`). */
  onFlagged: string;
}

export interface ModelStep {
  id: string;
  /** The attempt logic, keyed by its `src`: spread into `setup({ actors })`. */
  actors: Record<string, ReturnType<typeof createModelCall>>;
  /** The step's state config; typed by where it is placed in the machine. */
  state<T = AnyStateNodeConfig>(targets: StepTargets): T;
}

export function modelStep<TContext extends HarnessContext>(spec: ModelStepSpec<TContext>): ModelStep {
  const { id } = spec;
  const src = `model:${id}`;
  const ladder = spec.ladder && spec.ladder.length > 0 ? [...spec.ladder] : [defaultModelConfig.model];
  const maxRetries = spec.maxRetries ?? defaultModelConfig.maxRetries;
  const threshold = spec.scorer ? (spec.threshold ?? 0.7) : 0;
  const baseMs = spec.backoff?.baseMs ?? defaultModelConfig.retryDelayMs;
  const capMs = spec.backoff?.capMs ?? 30_000;
  const step = { step: id };

  const callSpec: ModelCallSpec = {};
  if (spec.schema) callSpec.schema = spec.schema;
  if (spec.json) callSpec.json = true;
  if (spec.scorer) callSpec.scorer = spec.scorer;
  if (spec.config) callSpec.config = spec.config;

  const input = ({ context }: { context: TContext }): ModelCallInput => {
    const state = stepOf(context, id);
    return {
      step: id,
      attemptKey: `${id}.p${state.pass}.m${state.ladderIndex}.a${state.attempt}`,
      model: state.model,
      attempt: state.attempt,
      messages: [...spec.prompt({ context }), ...state.feedback],
    };
  };

  return {
    id,
    actors: { [src]: createModelCall(callSpec) },
    state: <T = AnyStateNodeConfig>({ onDone, onFlagged }: StepTargets): T => ({
      entry: { type: 'enterStep', params: { step: id, ladder } },
      initial: 'attempting',
      states: {
        attempting: {
          entry: { type: 'beginAttempt', params: step },
          invoke: {
            src,
            input,
            onDone: { target: 'deciding', actions: { type: 'recordAttempt', params: step } },
            onError: { target: 'deciding', actions: { type: 'recordCrash', params: step } },
          },
        },
        deciding: {
          always: [
            {
              guard: and([{ type: 'isValid', params: step }, { type: 'meetsThreshold', params: { step: id, threshold } }]),
              target: 'done',
              actions: { type: 'acceptResult', params: step },
            },
            { guard: not({ type: 'withinBudget', params: step }), target: 'flagged', actions: { type: 'flagStep', params: step } },
            {
              guard: and([{ type: 'isInvalidOutput', params: step }, { type: 'canRetry', params: { step: id, maxRetries } }]),
              target: 'attempting',
              actions: { type: 'addFeedback', params: step },
            },
            {
              guard: and([{ type: 'isTransient', params: step }, { type: 'canRetry', params: { step: id, maxRetries } }]),
              target: 'backingOff',
              actions: { type: 'scheduleRetry', params: { step: id, baseMs, capMs } },
            },
            { guard: { type: 'canEscalate', params: { step: id, ladder } }, target: 'attempting', actions: { type: 'escalate', params: { step: id, ladder } } },
            { target: 'flagged', actions: { type: 'flagStep', params: step } },
          ],
        },
        backingOff: {
          invoke: {
            src: 'sleepUntil',
            input: ({ context }: { context: TContext }) => ({ until: stepOf(context, id).retryAt ?? Date.now() }),
            onDone: 'attempting',
            onError: 'attempting',
          },
        },
        done: { type: 'final' },
        flagged: { type: 'final' },
      },
      onDone: [{ guard: { type: 'stepFlagged', params: step }, target: onFlagged }, { target: onDone }],
    }) as unknown as T,
  };
}
