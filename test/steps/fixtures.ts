// Small workflows used by the step and runtime tests: one model step, and a step followed by a person's approval.
import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, initialHarnessContext, modelStep, stepImplementations, waitFor, type HarnessContext, type ModelStepSpec } from '../../src/steps/index.ts';

export const answerSchema = z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1) });

export interface OneStepContext extends HarnessContext {
  question: string;
}

type Events = { type: 'APPROVE'; data?: unknown } | { type: 'REJECT'; data?: unknown };

/** A workflow with a single model step, the step's policy given by `spec`. */
export function oneStepWorkflow(spec: Partial<ModelStepSpec<OneStepContext>> = {}, options: { approval?: boolean } = {}) {
  const ask = modelStep<OneStepContext>({
    id: 'ask',
    prompt: ({ context }) => [{ role: 'user', content: context.question }],
    schema: answerSchema,
    ladder: ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'],
    maxRetries: 1,
    backoff: { baseMs: 10, capMs: 20 },
    config: { timeoutMs: 2000 },
    ...spec,
  });
  const impl = stepImplementations<OneStepContext, Events>();
  const machine = setup({
    types: { context: {} as OneStepContext, input: {} as { question: string }, events: {} as Events },
    actors: { ...impl.actors, ...ask.actors },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'one-step',
    context: ({ input }) => ({ ...initialHarnessContext(), question: input.question }),
    initial: 'asking',
    states: {
      asking: ask.state({ onDone: options.approval ? 'approval' : 'done', onFlagged: 'flagged' }),
      approval: waitFor({ id: 'approval', events: { APPROVE: 'done', REJECT: 'asking' } }),
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ answer: context.steps.ask?.result?.data ?? null, flags: context.flags }),
  });
  return defineWorkflow({ id: 'one-step', input: z.object({ question: z.string().min(1) }), machine });
}
