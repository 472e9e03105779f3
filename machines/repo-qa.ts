// Questions about a local directory: an agent with read-only tools (list_files, read_file, search) confined to it,
// ending in a schema-checked answer with file:line citations, graded by an LLM judge. A low grade escalates the answer
// to the larger model; when the ladder runs out (or the agent's turn bound is reached) the run ends flagged.
import { assign, setup, type AnyEventObject } from 'xstate';
import { z } from 'zod';
import { judgeScorer } from '../src/score/index.ts';
import { acceptedData, agentStep, defineWorkflow, flagsFrom, stepGuards, type AgentTranscript } from '../src/steps/index.ts';
import { repoTools } from './repo-qa/tools.ts';

export const qaLadder = ['qwen2.5-coder:7b', 'qwen2.5-coder:32b'] as const;
export const judgeModel = 'qwen2.5-coder:32b';
export const answerThreshold = 0.7;

export const citationSchema = z.object({ file: z.string().min(1), line: z.number().int().min(1) });
export const answerSchema = z.object({ answer: z.string().min(1), citations: z.array(citationSchema) });
export type Citation = z.infer<typeof citationSchema>;
export type RepoAnswer = z.infer<typeof answerSchema>;

export const repoQaInput = z.object({
  dir: z.string().min(1, 'the directory is empty'),
  question: z.string().min(1, 'the question is empty'),
});
export type RepoQaInput = z.infer<typeof repoQaInput>;

export interface RepoQaOutput {
  answer: string | null;
  citations: Citation[];
  flags: string[];
}

export const answerRubric = [
  'The answer responds to the question directly and is supported by the code the citations point to.',
  'Every citation names a file (relative path) and a line that exists and is relevant; nothing is invented.',
  'Claims not backed by a citation are hedged or left out.',
].join('\n');

const instructions = [
  'You answer questions about a code repository. Use the tools to look: list_files to see the layout, search to find',
  'where something is, read_file to read it (lines are numbered). Paths are relative to the repository root.',
  'Read before you answer; never guess. When you know the answer, reply with JSON only:',
  '{"answer": "<the answer>", "citations": [{"file": "<path>", "line": <number>}]} citing the lines that support it.',
].join('\n');

const answer = agentStep({
  id: 'answer',
  prompt: (input: RepoQaInput) => [
    { role: 'system', content: instructions },
    { role: 'user', content: input.question },
  ],
  tools: repoTools,
  schema: answerSchema,
  ladder: qaLadder,
  maxRetries: 1,
  scorer: judgeScorer({ model: judgeModel, rubric: answerRubric }),
  threshold: answerThreshold,
  maxTurns: 12,
  maxToolCalls: 40,
  config: { maxTokens: 2048 },
});

interface RepoQaContext extends RepoQaInput {
  result: RepoAnswer | null;
  transcript: AgentTranscript | null;
  flags: string[];
}

const errorText = ({ error }: AnyEventObject): string => (error instanceof Error ? error.message : String(error));

export const repoQaMachine = setup({
  types: { context: {} as RepoQaContext, input: {} as RepoQaInput, output: {} as RepoQaOutput },
  actors: { answer },
  guards: stepGuards,
  actions: {
    keepFlags: assign({ flags: flagsFrom() }),
    crashed: assign({ flags: ({ context, event }) => [...context.flags, `answer: step failed: ${errorText(event)}`] }),
  },
}).createMachine({
  id: 'repo-qa',
  context: ({ input }) => ({ dir: input.dir, question: input.question, result: null, transcript: null, flags: [] }),
  initial: 'answering',
  states: {
    answering: {
      invoke: {
        id: 'answer',
        src: 'answer',
        input: ({ context }) => ({ dir: context.dir, question: context.question }),
        onDone: [
          { guard: 'stepFlagged', target: 'flagged', actions: ['keepFlags', assign({ transcript: ({ event }) => event.output.transcript })] },
          { target: 'done', actions: assign({ result: ({ event }) => acceptedData(event), transcript: ({ event }) => event.output.transcript }) },
        ],
        onError: { target: 'flagged', actions: 'crashed' },
      },
    },
    done: { type: 'final' },
    flagged: { type: 'final' },
  },
  output: ({ context }) => ({ answer: context.result?.answer ?? null, citations: context.result?.citations ?? [], flags: context.flags }),
});

export default defineWorkflow({
  id: 'repo-qa',
  description: 'Answers a question about a local directory with confined read-only tools; judged, escalated, cited.',
  input: repoQaInput,
  machine: repoQaMachine,
  budget: { tokens: 300_000 },
});
