// Sub-agents: a parent invokes a child machine that runs a model step; its output is adopted, its flags reach the run.
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, initialHarnessContext, modelStep, stepImplementations, type AgentOutput, type HarnessContext } from '../../src/steps/index.ts';
import { answerSchema, contextOf, invalidReply, modulePath, removeTempDirs, small, tempStore, validReply } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

interface AgentContext extends HarnessContext {
  code: string;
}

interface AgentResult extends AgentOutput {
  verdict: unknown;
}

function securityAgent(host: string) {
  const audit = modelStep<AgentContext>({
    id: 'audit',
    prompt: ({ context }) => [{ role: 'user', content: `Audit: ${context.code}` }],
    schema: answerSchema,
    ladder: [small],
    maxRetries: 1,
    config: { host, timeoutMs: 3000 },
  });
  const impl = stepImplementations<AgentContext>();
  return setup({
    types: { context: {} as AgentContext, input: {} as { code: string }, output: {} as AgentResult },
    actors: { ...impl.actors, ...audit.actors },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'security-agent',
    context: ({ input }) => ({ ...initialHarnessContext(), code: input.code }),
    initial: 'auditing',
    states: { auditing: audit.state({ onDone: 'done', onFlagged: 'done' }), done: { type: 'final' } },
    output: ({ context }) => ({ verdict: context.steps.audit?.result?.data ?? null, flags: context.flags }),
  });
}

interface ParentContext extends HarnessContext {
  code: string;
  security: unknown;
}

function parentWorkflow(host: string) {
  const impl = stepImplementations<ParentContext>();
  const machine = setup({
    types: { context: {} as ParentContext, input: {} as { code: string } },
    actors: { ...impl.actors, securityAgent: securityAgent(host) },
    guards: impl.guards,
    actions: impl.actions,
  }).createMachine({
    id: 'parent',
    context: ({ input }) => ({ ...initialHarnessContext(), code: input.code, security: null }),
    initial: 'reviewing',
    states: {
      reviewing: {
        invoke: {
          id: 'security',
          src: 'securityAgent',
          input: ({ context }) => ({ code: context.code }),
          onDone: {
            target: 'done',
            actions: [
              assign({ security: ({ event }) => (event.output as AgentResult).verdict }),
              { type: 'adoptFlags', params: { agent: 'security' } },
            ],
          },
          onError: 'failed',
        },
      },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
    output: ({ context }) => ({ security: context.security, flags: context.flags }),
  });
  return defineWorkflow({ id: 'parent', input: z.object({ code: z.string() }), machine });
}

describe('sub-agents', () => {
  it("adopts a child machine's output and journals its call under the child's path", async () => {
    const sim = await simulator({ script: { '*': () => validReply('no injection found', 0.8) } });
    const record = await runWorkflow({ store: tempStore(), workflow: parentWorkflow(sim.url), modulePath, input: { code: 'x = 1' }, pool: null });
    expect(record.status).toBe('done');
    expect(record.output).toEqual({ security: { answer: 'no injection found', confidence: 0.8 }, flags: [] });
    expect(record.journal).toHaveLength(1);
    expect(record.journal[0]?.key).toMatch(/^root\/security\//);
  });

  it("brings a flagged child's flags into the parent, which ends flagged", async () => {
    const sim = await simulator({ script: { '*': () => invalidReply } });
    const record = await runWorkflow({ store: tempStore(), workflow: parentWorkflow(sim.url), modulePath, input: { code: 'eval(x)' }, pool: null });
    expect(record.status).toBe('flagged');
    expect(record.flags).toEqual([expect.stringMatching(/^security\/audit: ladder exhausted after 2 attempt\(s\) \(last: /)]);
    expect(contextOf<ParentContext>(record).flags).toEqual(record.flags);
    expect(record.output).toEqual({ security: null, flags: record.flags });
    expect(sim.stats().completed).toBe(2);
  });
});
