// The workflow `harness init` writes: a schema, a scorer and a model ladder, in the user's machines/triage.ts.
export const workflowFile = `// Ticket triage: a category and a one-line summary, checked by a zod schema and a scorer; a reply that fails either
// is retried with the reasons, then escalated to the next model of the ladder.
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, flagsFrom, modelStep, stepGuards, type Scorer } from 'xstate-llm-harness';

export const ladder = ['llama3.2:3b', 'qwen2.5-coder:7b'] as const;

export const triageSchema = z.object({
  category: z.enum(['bug', 'feature', 'question']),
  summary: z.string().min(1),
});
export type Triage = z.infer<typeof triageSchema>;

/** A summary is one short line: at most 12 words. */
export const conciseSummary: Scorer = ({ data }) => {
  const parsed = triageSchema.safeParse(data);
  if (!parsed.success) return { value: 0, reasons: ['not a triage'] };
  const words = parsed.data.summary.trim().split(/\\s+/).length;
  return words <= 12 ? { value: 1, reasons: [] } : { value: 0.2, reasons: [\`summary has \${words} words; keep it to 12\`] };
};

export interface TriageInput {
  ticket: string;
}

export interface TriageOutput {
  triage: Triage | null;
  model: string | null;
  flags: string[];
}

const triageStep = modelStep({
  id: 'triage',
  prompt: (input: TriageInput) => [
    { role: 'system', content: 'Classify the ticket as bug, feature or question, and summarise it in at most 12 words. Reply with JSON.' },
    { role: 'user', content: input.ticket },
  ],
  schema: triageSchema,
  scorer: conciseSummary,
  threshold: 0.8,
  ladder,
  maxRetries: 1,
});

export const triageMachine = setup({
  types: { context: {} as TriageInput & TriageOutput, input: {} as TriageInput, output: {} as TriageOutput },
  actors: { triageStep },
  guards: stepGuards,
}).createMachine({
  id: 'triage',
  context: ({ input }) => ({ ticket: input.ticket, triage: null, model: null, flags: [] }),
  initial: 'triaging',
  states: {
    triaging: {
      invoke: {
        id: 'triageStep',
        src: 'triageStep',
        input: ({ context }) => ({ ticket: context.ticket }),
        onDone: [
          { guard: 'stepFlagged', target: 'flagged', actions: assign({ flags: flagsFrom() }) },
          {
            target: 'done',
            actions: assign({
              triage: ({ event }) => event.output.data,
              model: ({ event }) => event.output.result?.model ?? null,
            }),
          },
        ],
      },
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({ triage: context.triage, model: context.model, flags: context.flags }),
});

export default defineWorkflow({
  id: 'triage',
  description: 'Ticket triage into a zod schema, scored for a concise summary, escalated along a model ladder.',
  input: z.object({ ticket: z.string().min(1, 'the ticket is empty') }),
  machine: triageMachine,
});
`;

/**
 * The workflow's test, for a workflow written as `ext` (.mts in a CommonJS project). It imports the workflow as
 * `.js`/`.mjs`, which TypeScript (NodeNext), vitest and tsx all map to the source file, so the project's tsconfig needs
 * no allowImportingTsExtensions.
 */
export const testFile = (ext: '.ts' | '.mts'): string => `// The triage workflow against the Ollama simulator: no model server, no network.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { FileStore, runWorkflow } from 'xstate-llm-harness';
import { startSimulator, type Simulator } from 'xstate-llm-harness/testing';
import triage from '../machines/triage${ext === '.ts' ? '.js' : '.mjs'}';

const input = { ticket: 'The export button does nothing when the report is empty.' };
let sim: Simulator | undefined;
let dir: string | undefined;

afterEach(async () => {
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(reply: (model: string) => object) {
  sim = await startSimulator({ seed: 1, script: { '*': (req) => JSON.stringify(reply(req.model)) } });
  process.env.OLLAMA_HOST = sim.url;
  dir = await mkdtemp(join(tmpdir(), 'triage-runs-'));
  // Typed by the workflow: the input is checked by the compiler, the output is the machine's TriageOutput.
  return runWorkflow({ store: new FileStore({ dir }), workflow: triage, input });
}

it('escalates a wordy summary to the next model of the ladder', async () => {
  const wordy = 'the export button in the reports page does nothing at all when the report happens to be empty';
  const record = await run((model) => ({ category: 'bug', summary: model.startsWith('llama') ? wordy : 'Export does nothing on empty reports' }));
  expect(record.status).toBe('done');
  expect(record.output?.triage).toEqual({ category: 'bug', summary: 'Export does nothing on empty reports' });
  expect(record.output?.model).toBe('qwen2.5-coder:7b');
});

it('flags the run when no model gives a valid triage', async () => {
  const record = await run(() => ({ category: 'complaint', summary: '' }));
  expect(record.status).toBe('flagged');
  expect(record.output?.flags).toHaveLength(1);
});
`;
