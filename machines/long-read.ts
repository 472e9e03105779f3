// A task far longer than any context window: answer a question about a long text file by reading it page by page.
// The agent works in rounds; each round it reads some pages (its own transcript compacted when it nears the window)
// and hands back a progress note. The note lives in the workflow's context, not in any transcript, so it survives
// every compaction by construction: the next round starts from the note alone, and the run resumes from it.
import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { assign, setup, type AnyEventObject } from 'xstate';
import { z } from 'zod';
import { acceptedData, agentStep, defineWorkflow, flagsFrom, stepGuards, tool } from '../src/steps/index.ts';

export const readerLadder = ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'] as const;
/** Bytes per page: about a thousand tokens of prose. */
export const pageBytes = 4096;
/** Rounds at most: each reads some pages, so this bounds the file at roughly rounds × pages a round. */
export const maxRounds = 200;

export const longReadInput = z.object({
  file: z.string().min(1, 'the file is empty'),
  question: z.string().min(1, 'the question is empty'),
});
export type LongReadInput = z.infer<typeof longReadInput>;

/** What a round hands back: the note to carry on from, where to go on, and the answer once the last page was read. */
export const roundSchema = z.object({
  note: z.string().max(4000),
  nextPage: z.number().int().min(0),
  done: z.boolean(),
  answer: z.string().nullable(),
});
export type Round = z.infer<typeof roundSchema>;

/** The agent's view of one round: the task, the note so far, and where to start reading. */
export interface RoundInput extends LongReadInput {
  note: string;
  nextPage: number;
}

/** Page `page` of the file (`pageBytes` each, the last one shorter), with how many there are. */
const readPage = tool({
  name: 'read_page',
  description: `Reads one page (${pageBytes} bytes) of the file, numbered from 0; says how many pages there are.`,
  input: z.object({ page: z.number().int().min(0) }),
  run: async ({ page }, { input }: { input: RoundInput }) => {
    const path = resolve(input.file);
    const pages = Math.max(1, Math.ceil((await stat(path)).size / pageBytes));
    if (page >= pages) return `error: there are only ${pages} pages (0 to ${pages - 1})`;
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(pageBytes);
      const { bytesRead } = await handle.read(buffer, 0, pageBytes, page * pageBytes);
      return `page ${page} of ${pages}\n${buffer.subarray(0, bytesRead).toString('utf8')}`;
    } finally {
      await handle.close();
    }
  },
});

const instructions = [
  'You work through a long file page by page to answer a question about all of it. You cannot keep the whole file',
  'in mind: what you know so far is in your progress note. Read pages in order with read_page, starting at the page',
  'you are given; read up to 6 pages in this round. Then reply with JSON only:',
  '{"note": "<your updated progress note: everything the answer will need, with numbers exact>", "nextPage": <the next',
  'page to read>, "done": <true once the last page is read>, "answer": <the answer when done, else null>}.',
].join('\n');

const round = agentStep({
  id: 'round',
  prompt: (input: RoundInput) => [
    { role: 'system', content: instructions },
    { role: 'user', content: `Question: ${input.question}\nProgress note so far: ${input.note || '(none yet)'}\nStart at page ${input.nextPage}.` },
  ],
  tools: [readPage],
  schema: roundSchema,
  ladder: readerLadder,
  maxRetries: 1,
  maxTurns: 10,
  maxToolCalls: 12,
  config: { maxTokens: 1024 },
  // The round's own transcript is compacted when it nears the model's window; the note carries the rest.
  context: { keepTurns: 2 },
});

interface LongReadContext extends LongReadInput {
  note: string;
  nextPage: number;
  rounds: number;
  answer: string | null;
  flags: string[];
}

export interface LongReadOutput {
  answer: string | null;
  note: string;
  rounds: number;
  flags: string[];
}

const errorText = ({ error }: AnyEventObject): string => (error instanceof Error ? error.message : String(error));

export const longReadMachine = setup({
  types: { context: {} as LongReadContext, input: {} as LongReadInput, output: {} as LongReadOutput },
  actors: { round },
  guards: {
    ...stepGuards,
    /** The last round read the last page. */
    finished: ({ context }) => context.answer !== null,
    /** Rounds left: a note that never reaches the end cannot loop for ever. */
    withinRounds: ({ context }, params: { max: number }) => context.rounds < params.max,
  },
  actions: {
    keepFlags: assign({ flags: flagsFrom() }),
    crashed: assign({ flags: ({ context, event }) => [...context.flags, `round: step failed: ${errorText(event)}`] }),
    /** The note is the workflow's: the next round starts from it, whatever the last round's transcript held. */
    takeRound: assign(({ context }, { round }: { round: Round }) => ({
      rounds: context.rounds + 1,
      note: round.note,
      nextPage: round.nextPage,
      answer: round.done ? (round.answer ?? '') : null,
    })),
    outOfRounds: assign({ flags: ({ context }) => [...context.flags, `round: ${context.rounds} rounds taken and the file is not read to the end`] }),
  },
}).createMachine({
  id: 'long-read',
  context: ({ input }) => ({ file: input.file, question: input.question, note: '', nextPage: 0, rounds: 0, answer: null, flags: [] }),
  initial: 'reading',
  states: {
    reading: {
      invoke: {
        id: 'round',
        src: 'round',
        input: ({ context }) => ({ file: context.file, question: context.question, note: context.note, nextPage: context.nextPage }),
        onDone: [
          { guard: 'stepFlagged', target: 'flagged', actions: 'keepFlags' },
          { target: 'next', actions: { type: 'takeRound', params: ({ event }) => ({ round: acceptedData(event) }) } },
        ],
        onError: { target: 'flagged', actions: 'crashed' },
      },
    },
    next: {
      always: [
        { guard: 'finished', target: 'done' },
        { guard: { type: 'withinRounds', params: { max: maxRounds } }, target: 'reading' },
        { target: 'flagged', actions: 'outOfRounds' },
      ],
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({ answer: context.answer, note: context.note, rounds: context.rounds, flags: context.flags }),
});

export default defineWorkflow({
  id: 'long-read',
  description: 'Answers a question about a long file page by page, carrying a progress note across rounds and compactions.',
  input: longReadInput,
  machine: longReadMachine,
  budget: { tokens: 5_000_000 },
});
