// Workflow modules written at test time, edited between runs: a prompt's tone, a wait for a person, a renamed state.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const steps = fileURLToPath(new URL('../../src/steps/index.ts', import.meta.url));

export interface ModuleShape {
  /** Put before every prompt: what an edit of the prompt changes. */
  tone: string;
  /** The state that waits for a person's GO between the two steps (renaming it changes the structure); null: no wait. */
  waitState?: string | null;
  /** Source of a `migrate` hook (a function of `(snapshot, fromHash)`), or none. */
  migrate?: string;
  /** Extra lines at the top of the module (an import of something next to it, say). */
  prelude?: string;
}

/**
 * Writes `ask` (a model step) → a wait for GO → `answer` (a model step) → done. Prompts are `<tone> <step>: <question>`.
 * The module sits outside any package.json, so it is named .mts (an ES module to tsx and esbuild alike).
 */
export function writeToneModule(file: string, shape: ModuleShape): void {
  const wait = shape.waitState === undefined ? 'waiting' : shape.waitState;
  const waiting = wait === null ? '' : `${JSON.stringify(wait)}: { ...waitFor(), on: { GO: 'answering' } },`;
  writeFileSync(
    file,
    `${shape.prelude ?? ''}
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, modelStep, stepGuards, waitFor } from ${JSON.stringify(steps)};
export { setup } from 'xstate';
export { z } from 'zod';
export { defineWorkflow } from ${JSON.stringify(steps)};

const tone = ${JSON.stringify(shape.tone)};
const step = (id: string) => modelStep({
  id,
  prompt: (input: { question: string }) => [{ role: 'user', content: tone + ' ' + id + ': ' + input.question }],
  schema: z.object({ answer: z.string().min(1) }),
  ladder: ['qwen2.5-coder:7b'],
  maxRetries: 0,
  backoff: { baseMs: 10, capMs: 20 },
  config: { timeoutMs: 20_000 },
});

export default defineWorkflow({
  id: 'tone',
  input: z.object({ question: z.string().min(1) }),
  ${shape.migrate ? `migrate: ${shape.migrate},` : ''}
  machine: setup({
    types: { context: {} as { question: string; answers: string[] }, input: {} as { question: string } },
    actors: { ask: step('ask'), answer: step('answer') },
    guards: stepGuards,
  }).createMachine({
    id: 'tone',
    context: ({ input }) => ({ question: input.question, answers: [] }),
    initial: 'asking',
    states: {
      asking: {
        invoke: {
          id: 'ask', src: 'ask', input: ({ context }) => ({ question: context.question }),
          onDone: { target: ${JSON.stringify(wait ?? 'answering')}, actions: assign({ answers: ({ event }) => [event.output.data?.answer ?? '-'] }) },
        },
      },
      ${waiting}
      answering: {
        invoke: {
          id: 'answer', src: 'answer', input: ({ context }) => ({ question: context.question }),
          onDone: { target: 'done', actions: assign({ answers: ({ context, event }) => [...context.answers, event.output.data?.answer ?? '-'] }) },
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ answers: context.answers }),
  }),
});
`,
  );
}
