// The queue benchmarks' workflow: one model step, then done. Worker processes load it by path, like a user's module.
import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, modelStep, stepGuards } from '../src/steps/index.ts';

const ask = modelStep({
  id: 'ask',
  prompt: (input: { question: string }) => [{ role: 'user', content: input.question }],
  schema: z.object({ answer: z.string().min(1) }),
  ladder: ['qwen2.5-coder:7b'],
  maxRetries: 0,
});

export default defineWorkflow({
  id: 'one-step',
  input: z.object({ question: z.string().min(1) }),
  machine: setup({ types: { input: {} as { question: string } }, actors: { ask }, guards: stepGuards }).createMachine({
    id: 'one-step',
    initial: 'ask',
    context: ({ input }) => ({ question: input.question }),
    states: {
      ask: { invoke: { src: 'ask', input: ({ context }) => ({ question: context.question }), onDone: 'done', onError: 'done' } },
      done: { type: 'final' },
    },
  }),
});
