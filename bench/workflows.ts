// The workflows the benchmarks run: one model step, a 1,000-step loop that ends waiting, and a fan-out of sub-agents.
import { fileURLToPath } from 'node:url';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, fanOut, initialHarnessContext, modelStep, stepImplementations, waitFor, type HarnessContext } from '../src/steps/index.ts';

/** Stored in each run file as the workflow's module, as the CLI would. */
export const workflowsModule = fileURLToPath(import.meta.url);

export const benchModel = 'qwen2.5-coder:7b';

export const answerSchema = z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1) });

interface QuestionContext extends HarnessContext {
  question: string;
}

type Decision = { type: 'APPROVE'; data?: unknown } | { type: 'REJECT'; data?: unknown };

/** One schema-checked model step, then done: what a typical step costs. */
export function oneStepWorkflow(host: string, timeoutMs = 60_000) {
  const ask = modelStep<QuestionContext>({
    id: 'ask',
    prompt: ({ context }) => [{ role: 'user', content: context.question }],
    schema: answerSchema,
    ladder: [benchModel],
    maxRetries: 0,
    config: { host, timeoutMs },
  });
  const impl = stepImplementations<QuestionContext>();
  const machine = setup({
    types: { context: {} as QuestionContext, input: {} as { question: string } },
    actors: { ...impl.actors, ...ask.actors },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'bench-one-step',
    context: ({ input }) => ({ ...initialHarnessContext(), question: input.question }),
    initial: 'asking',
    states: {
      asking: ask.state({ onDone: 'done', onFlagged: 'flagged' }),
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ answer: context.steps.ask?.result?.data ?? null, flags: context.flags }),
  });
  return defineWorkflow({ id: 'bench-one-step', input: z.object({ question: z.string().min(1) }), machine });
}

interface LoopContext extends QuestionContext {
  counter: number;
  limit: number;
}

/** Asks `steps` times (a guarded loop; every call journaled), then waits for a person: a long run to resume. */
export function loopWorkflow(host: string) {
  const ask = modelStep<LoopContext>({
    id: 'ask',
    prompt: ({ context }) => [{ role: 'user', content: `${context.question} (#${context.counter})` }],
    schema: answerSchema,
    ladder: [benchModel],
    maxRetries: 0,
    config: { host, timeoutMs: 60_000 },
  });
  const impl = stepImplementations<LoopContext, Decision>();
  const machine = setup({
    types: { context: {} as LoopContext, input: {} as { question: string; steps: number }, events: {} as Decision },
    actors: { ...impl.actors, ...ask.actors },
    guards: { ...impl.guards, moreSteps: ({ context }) => context.counter < context.limit },
    actions: { ...impl.actions, countStep: assign({ counter: ({ context }) => context.counter + 1 }) },
  }).createMachine({
    id: 'bench-loop',
    context: ({ input }) => ({ ...initialHarnessContext(), question: input.question, counter: 0, limit: input.steps }),
    initial: 'asking',
    states: {
      asking: ask.state({ onDone: 'counting', onFlagged: 'flagged' }),
      counting: {
        entry: 'countStep',
        always: [{ guard: 'moreSteps', target: 'asking' }, { target: 'approval' }],
      },
      approval: waitFor({ id: 'approval', events: { APPROVE: 'done', REJECT: 'done' } }),
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ steps: context.counter, flags: context.flags }),
  });
  return defineWorkflow({ id: 'bench-loop', input: z.object({ question: z.string().min(1), steps: z.number().int().min(1) }), machine });
}

interface ItemContext extends HarnessContext {
  item: string;
}

interface FanContext extends HarnessContext {
  items: string[];
}

/** A fan-out over `items`, `concurrency` at a time; each item is a sub-agent machine with one plain-text model step. */
export function fanOutWorkflow(host: string, concurrency: number) {
  const ask = modelStep<ItemContext>({
    id: 'ask',
    prompt: ({ context }) => [{ role: 'user', content: `Summarise ${context.item}.` }],
    ladder: [benchModel],
    maxRetries: 0,
    config: { host, timeoutMs: 60_000 },
  });
  const itemImpl = stepImplementations<ItemContext>();
  const item = setup({
    types: { context: {} as ItemContext, input: {} as { item: string; index: number } },
    actors: { ...itemImpl.actors, ...ask.actors },
    guards: itemImpl.guards,
    actions: itemImpl.actions,
  }).createMachine({
    id: 'bench-item',
    context: ({ input }) => ({ ...initialHarnessContext(), item: input.item }),
    initial: 'asking',
    states: {
      asking: ask.state({ onDone: 'done', onFlagged: 'flagged' }),
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ summary: context.steps.ask?.result?.content ?? null, flags: context.flags }),
  });

  const work = fanOut<FanContext, string>({ id: 'work', src: 'item', items: ({ context }) => context.items, concurrency });
  const impl = stepImplementations<FanContext>();
  const machine = setup({
    types: { context: {} as FanContext, input: {} as { items: string[] } },
    actors: { ...impl.actors, item },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'bench-fan-out',
    context: ({ input }) => ({ ...initialHarnessContext(), items: input.items }),
    initial: 'working',
    states: {
      working: work.state({ onDone: 'done' }),
      done: { type: 'final' },
    },
    output: ({ context }) => ({ results: context.fanouts.work?.results ?? [], flags: context.flags }),
  });
  return defineWorkflow({ id: 'bench-fan-out', input: z.object({ items: z.array(z.string()).min(1) }), machine });
}
