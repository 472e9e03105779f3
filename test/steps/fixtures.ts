// Shared test fixtures: small workflows (one model step, a step then a person's approval), temp stores, reply helpers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, initialHarnessContext, modelStep, stepImplementations, waitFor, type HarnessContext, type ModelStepSpec } from '../../src/steps/index.ts';
import { FileStore, type FileStoreOptions, type RunRecord } from '../../src/store/index.ts';
import type { SimRequest } from '../../src/testing/index.ts';

export const answerSchema = z.object({ answer: z.string().min(1), confidence: z.number().min(0).max(1) });

/** Where run records say the workflow came from; tests pass workflows directly, so it is never loaded. */
export const modulePath = '/virtual/one-step.workflow.ts';

export const small = 'qwen2.5-coder:7b';
export const large = 'qwen2.5-coder:32b';

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
    ladder: [small, large],
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
export function contextOf<C extends HarnessContext = OneStepContext>(record: RunRecord): C {
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
