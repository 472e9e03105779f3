// The workflows the benchmarks run, on the step-as-child-machine API: a chain of N model steps (optionally ending in a
// person wait) and a bounded fan-out whose worker is a model step. Kept apart from bench/workflows.ts on purpose.
import { Ollama } from 'ollama';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { formatSchema } from '../src/llm/index.ts';
import { defineWorkflow, fanOut, flagsFrom, modelStep, sleepUntil, stepGuards, waitFor } from '../src/steps/index.ts';

export const benchModel = 'qwen2.5-coder:7b';

export const answerSchema = z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1) });

/** The `format` the chain's step sends (its schema as JSON Schema). */
export const chainFormat = formatSchema(answerSchema);

/** The prompt of pass `n` of the chain: the raw baselines send exactly this. */
export const chainPrompt = (question: string, n: number): string => `${question} (#${n})`;

/** The options callModel sends by default; raw baselines send the same so both sides ask for the same reply. */
export const callOptions = { num_predict: 1024, temperature: 0 };

interface ChainContext {
  question: string;
  counter: number;
  limit: number;
  wait: boolean;
  flags: string[];
}

export interface ChainInput {
  question: string;
  steps: number;
  /** After the last step: wait for APPROVE / REJECT (a run to resume) instead of finishing. */
  wait?: boolean;
}

/**
 * N schema-checked model steps in a row: every pass leaves the invoking state and enters it again, so a fresh step
 * child machine runs each time (a new pass, a new journal key). Then done, or a `waitFor()` state.
 */
export function chainWorkflow(host: string, timeoutMs = 60_000) {
  const ask = modelStep({
    id: 'ask',
    prompt: (input: { question: string; n: number }) => [{ role: 'user', content: chainPrompt(input.question, input.n) }],
    schema: answerSchema,
    ladder: [benchModel],
    maxRetries: 0,
    config: { host, timeoutMs },
  });
  const machine = setup({
    types: { context: {} as ChainContext, input: {} as ChainInput, events: {} as { type: 'APPROVE' } | { type: 'REJECT' } },
    // sleepUntil: what waitFor() invokes by name when given a timeout (none here, but its type allows one).
    actors: { ask, sleepUntil },
    guards: {
      ...stepGuards,
      moreSteps: ({ context }) => context.counter < context.limit,
      thenWait: ({ context }) => context.wait,
    },
  }).createMachine({
    id: 'bench-chain',
    context: ({ input }) => ({ question: input.question, counter: 0, limit: input.steps, wait: input.wait ?? false, flags: [] }),
    initial: 'asking',
    states: {
      asking: {
        invoke: {
          src: 'ask',
          input: ({ context }) => ({ question: context.question, n: context.counter }),
          onDone: [
            { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
            { target: 'counting', actions: assign({ counter: ({ context }) => context.counter + 1 }) },
          ],
        },
      },
      counting: {
        always: [{ guard: 'moreSteps', target: 'asking' }, { guard: 'thenWait', target: 'approval' }, { target: 'done' }],
      },
      approval: { ...waitFor(), on: { APPROVE: 'done', REJECT: 'done' } },
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ steps: context.counter, flags: context.flags }),
  });
  return defineWorkflow({
    id: 'bench-chain',
    input: z.object({ question: z.string().min(1), steps: z.number().int().min(1), wait: z.boolean().optional() }),
    machine,
  });
}

interface FanContext {
  items: string[];
  flags: string[];
}

/** The prompt of a fan-out item: the raw baselines send exactly this. */
export const itemPrompt = (item: string): string => `Summarise ${item}.`;

/** A fan-out over `items`, `concurrency` at a time; each item's worker is a plain-text model step machine. */
export function fanOutWorkflow(host: string, concurrency: number) {
  const step = modelStep({
    id: 'summarise',
    prompt: (input: { item: string }) => [{ role: 'user', content: itemPrompt(input.item) }],
    ladder: [benchModel],
    maxRetries: 0,
    config: { host, timeoutMs: 60_000 },
  });
  const work = fanOut({ id: 'work', worker: step, concurrency });
  const machine = setup({
    types: { context: {} as FanContext, input: {} as { items: string[] } },
    actors: { work },
  }).createMachine({
    id: 'bench-fan-out',
    context: ({ input }) => ({ items: input.items, flags: [] }),
    initial: 'working',
    states: {
      working: {
        invoke: {
          src: 'work',
          input: ({ context }) => ({ items: context.items.map((item) => ({ item })) }),
          onDone: { target: 'done', actions: assign({ flags: ({ event }) => event.output.flags }) },
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ flags: context.flags }),
  });
  return defineWorkflow({ id: 'bench-fan-out', input: z.object({ items: z.array(z.string()).min(1) }), machine });
}

/** The chain step's request made with the bare ollama-js client (a new client per call, as callModel makes one). */
export async function rawChainCall(host: string, question: string, n: number): Promise<void> {
  const stream = await new Ollama({ host }).chat({
    model: benchModel,
    messages: [{ role: 'user', content: chainPrompt(question, n) }],
    stream: true,
    format: chainFormat,
    options: callOptions,
  });
  for await (const part of stream) void part;
}

/** A fan-out item's request made with the bare ollama-js client. */
export async function rawItemCall(host: string, item: string): Promise<void> {
  const stream = await new Ollama({ host }).chat({ model: benchModel, messages: [{ role: 'user', content: itemPrompt(item) }], stream: true, options: callOptions });
  for await (const part of stream) void part;
}
