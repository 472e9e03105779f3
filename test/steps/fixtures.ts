// Shared test fixtures: small workflows (one model step, a step then a person's approval), temp stores, reply helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, flagsFrom, modelStep, sleepUntil, stepGuards, waitFor, type ModelStepSpec, type StepOutput } from '../../src/steps/index.ts';
import { FileStore, type FileStoreOptions, type RunRecord } from '../../src/store/index.ts';
import type { SimRequest } from '../../src/testing/index.ts';

export const answerSchema = z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1) });
export type Answer = z.infer<typeof answerSchema>;

/** Where run records say the workflow came from; tests pass workflows directly, so it is never loaded. */
export const modulePath = '/virtual/one-step.workflow.ts';

export const small = 'qwen2.5-coder:7b';
export const large = 'qwen2.5-coder:32b';

export interface Question {
  question: string;
}

/** A person's decision, as the approval state records it. */
export type Decision = { type: 'APPROVE'; by?: string; note?: string } | { type: 'REJECT'; feedback?: string };

export interface OneStepContext extends Question {
  /** The step's whole output (attempts, reasons, result), kept so tests can look at the step's story. */
  ask: StepOutput<Answer> | null;
  answer: Answer | null;
  decision: Decision | null;
  flags: string[];
}

export type AskSpec = Partial<ModelStepSpec<Question, Answer>>;

/** The fixtures' model step: asks `question`, answers by answerSchema, the policy overridable by `spec`. */
export function askStep(spec: AskSpec = {}) {
  return modelStep<Question, Answer>({
    id: 'ask',
    prompt: (input) => [{ role: 'user', content: input.question }],
    schema: answerSchema,
    ladder: [small, large],
    maxRetries: 1,
    backoff: { baseMs: 10, capMs: 20 },
    config: { timeoutMs: 2000 },
    ...spec,
  });
}

export interface AgentAnswer {
  answer: Answer | null;
  flags: string[];
}

/**
 * A machine with a single model step, the step's policy given by `spec`; with `approval`, a person's APPROVE follows.
 * Its output is the answer, or null with the step's flags: invoked by a parent, it is a sub-agent.
 */
export function oneStepMachine(spec: AskSpec = {}, options: { approval?: boolean } = {}) {
  return setup({
    types: { context: {} as OneStepContext, input: {} as Question, events: {} as Decision, output: {} as AgentAnswer },
    // waitFor's type names the deadline's timer even without a timeout: it must be registered.
    actors: { ask: askStep(spec), sleepUntil },
    guards: stepGuards,
    actions: {
      decide: assign({ decision: ({ event }) => event }),
    },
  }).createMachine({
    id: 'one-step',
    context: ({ input }) => ({ question: input.question, ask: null, answer: null, decision: null, flags: [] }),
    initial: 'asking',
    states: {
      asking: {
        invoke: {
          id: 'ask',
          src: 'ask',
          input: ({ context }) => ({ question: context.question }),
          onDone: [
            { guard: 'stepFlagged', target: 'flagged', actions: assign({ ask: ({ event }) => event.output, flags: flagsFrom() }) },
            {
              target: options.approval ? 'approval' : 'done',
              actions: assign({ ask: ({ event }) => event.output, answer: ({ event }) => event.output.data }),
            },
          ],
        },
      },
      approval: { ...waitFor(), on: { APPROVE: { target: 'done', actions: 'decide' }, REJECT: { target: 'asking', actions: 'decide' } } },
      done: { type: 'final' },
      flagged: { type: 'final' },
    },
    output: ({ context }) => ({ answer: context.answer, flags: context.flags }),
  });
}

/** The one-step machine as a workflow (id `one-step`). */
export function oneStepWorkflow(spec: AskSpec = {}, options: { approval?: boolean } = {}) {
  return defineWorkflow({ id: 'one-step', input: z.object({ question: z.string().min(1) }), machine: oneStepMachine(spec, options) });
}

/** A sub-agent around one `ask` step: the one-step machine without approval. */
export const askAgent = (spec: AskSpec = {}) => oneStepMachine(spec);

/** A reply that passes answerSchema. */
export function validReply(answer = '42', confidence = 0.9): string {
  return JSON.stringify({ answer, confidence });
}

/** A reply that parses but fails answerSchema (empty answer). */
export const invalidReply = JSON.stringify({ answer: '', confidence: 0.5 });

/** The last user message of a simulated request (what a step's prompt put last). */
export function lastUser(req: SimRequest): string {
  return [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

const dirs: string[] = [];

/** A fresh directory under the OS temp dir, removed by `removeTempDirs`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-test-'));
  dirs.push(dir);
  return dir;
}

export function tempStore(options: Omit<FileStoreOptions, 'dir'> = {}): FileStore {
  return new FileStore({ ...options, dir: tempDir() });
}

/** For afterAll: deletes every directory made by tempDir in this test file. */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The workflow context in a run's persisted snapshot. */
export function contextOf<C = OneStepContext>(record: RunRecord): C {
  const snapshot = record.snapshot as { context?: C } | null;
  if (!snapshot?.context) throw new Error(`run ${record.runId} has no snapshot context`);
  return snapshot.context;
}

/** A minimal valid run record, for store tests that need files without running anything. */
export function runRecord(runId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  const now = new Date().toISOString();
  return {
    format: 1,
    runId,
    workflow: { id: 'wf', module: modulePath, moduleRelative: 'one-step.workflow.ts', hash: 'h', definition: {} },
    input: {},
    status: 'running',
    snapshot: null,
    journal: [],
    timeline: [],
    flags: [],
    epoch: 1,
    budget: {},
    usage: { tokensIn: 0, tokensOut: 0, calls: 0 },
    activeMs: 0,
    seed: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

