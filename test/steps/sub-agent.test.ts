// Sub-agents: a parent invokes a child machine that runs a model step; its output is adopted, its flags reach the parent.
import { assign, createActor, setup, toPromise } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, flagsFrom, stepGuards } from '../../src/steps/index.ts';
import { askAgent, invalidReply, modulePath, removeTempDirs, small, tempStore, validReply, type Answer } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

interface ParentContext {
  code: string;
  security: Answer | null;
  flags: string[];
}

/** The parent: invokes the `security` sub-agent by name, keeps its answer, and takes its flags prefixed `security/`. */
function parentMachine(host: string) {
  const securityAgent = askAgent({
    id: 'audit',
    prompt: (input) => [{ role: 'user', content: `Audit: ${input.question}` }],
    ladder: [small],
    maxRetries: 1,
    config: { host, timeoutMs: 3000 },
  });
  return setup({
    types: { context: {} as ParentContext, input: {} as { code: string }, output: {} as Pick<ParentContext, 'security' | 'flags'> },
    actors: { securityAgent },
    guards: stepGuards,
  }).createMachine({
    id: 'parent',
    context: ({ input }) => ({ code: input.code, security: null, flags: [] }),
    initial: 'reviewing',
    states: {
      reviewing: {
        invoke: {
          id: 'security',
          src: 'securityAgent',
          input: ({ context }) => ({ question: context.code }),
          onDone: [
            { guard: 'stepFlagged', target: 'done', actions: assign({ flags: flagsFrom('security') }) },
            { target: 'done', actions: assign({ security: ({ event }) => event.output.answer }) },
          ],
          onError: 'failed',
        },
      },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
    output: ({ context }) => ({ security: context.security, flags: context.flags }),
  });
}

describe('sub-agents', () => {
  it("adopts a child machine's typed output", async () => {
    const sim = await simulator({ script: { '*': () => validReply('no injection found', 0.8) } });
    const output = await toPromise(createActor(parentMachine(sim.url), { input: { code: 'x = 1' } }).start());
    expect(output).toEqual({ security: { answer: 'no injection found', confidence: 0.8 }, flags: [] });
    expect(sim.stats().completed).toBe(1);
  });

  it("brings a flagged child's flags into the parent, prefixed with the agent's name", async () => {
    const sim = await simulator({ script: { '*': () => invalidReply } });
    const output = await toPromise(createActor(parentMachine(sim.url), { input: { code: 'eval(x)' } }).start());
    expect(output.security).toBeNull();
    expect(output.flags).toEqual([expect.stringMatching(/^security\/audit: ladder exhausted after 2 attempt\(s\) \(last: /)]);
    expect(sim.stats().completed).toBe(2);
  });

  it("journals the child's call under the child's path, and a flagged child flags the run", async () => {
    const sim = await simulator({ script: { '*': (req) => (req.messages[0]?.content === 'Audit: eval(x)' ? invalidReply : validReply()) } });
    const workflow = defineWorkflow({ id: 'parent', input: z.object({ code: z.string() }), machine: parentMachine(sim.url) });
    const done = await runWorkflow({ store: tempStore(), workflow, modulePath, input: { code: 'x = 1' } });
    expect(done.status).toBe('done');
    expect(done.journal).toHaveLength(1);
    expect(done.journal[0]?.key).toMatch(/^root\/security\//);

    const flagged = await runWorkflow({ store: tempStore(), workflow, modulePath, input: { code: 'eval(x)' } });
    expect(flagged.status).toBe('flagged');
    expect(flagged.flags).toEqual([expect.stringMatching(/^security\/audit: ladder exhausted after 2 attempt\(s\) \(last: /)]);
    expect(flagged.output).toEqual({ security: null, flags: flagged.flags });
  });
});
