// A graceful stop is bounded: a tool call that never ends (and ignores its signal) is cut off once `stopGraceMs` has
// passed, the run is checkpointed `stopped`, the stop names the call, and a resume makes it again. A tool call that
// timed out is journaled like any result: a resume does not run it again.
import { assign, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { resumeWorkflow, runWorkflow, type StopReport } from '../../src/runtime/index.ts';
import { agentStep, defineWorkflow, flagsFrom, stepGuards, tool, type CallEvent } from '../../src/steps/index.ts';
import type { SimRequest } from '../../src/testing/index.ts';
import { useModelRuns } from '../helpers/runs.ts';

const runs = useModelRuns('harness-stop-grace-');
const modulePath = '/virtual/stop-grace.workflow.ts';

/** What the tools did, in order, and what the test hooks into them: the world outside the run. */
const world = {
  log: [] as string[],
  /** While true, `hang` never settles (and ignores its signal): only the grace or a deadline ends a call to it. */
  hanging: true,
  onStart: (_name: string): void => undefined,
};

const hang = tool({
  name: 'hang',
  description: 'Hangs while the world says so.',
  input: z.object({}),
  run: () => {
    world.log.push('hang start');
    world.onStart('hang');
    if (world.hanging) return new Promise<string>(() => undefined);
    world.log.push('hang done');
    return 'hung no more';
  },
});

const slow = tool({
  name: 'slow',
  description: 'Always outlasts its deadline.',
  input: z.object({}),
  timeoutMs: 50,
  run: () => {
    world.log.push('slow start');
    return new Promise<string>(() => undefined);
  },
});

const research = agentStep({
  id: 'research',
  prompt: (input: { tool: string }) => [{ role: 'user', content: `use ${input.tool}` }],
  tools: [hang, slow],
  schema: z.object({ summary: z.string() }),
  maxTurns: 3,
  maxToolCalls: 3,
});

const workflow = defineWorkflow({
  id: 'stop-grace',
  input: z.object({ tool: z.string() }),
  machine: setup({
    types: { context: {} as { tool: string; summary: string | null; flags: string[] }, input: {} as { tool: string } },
    actors: { research },
    guards: stepGuards,
  }).createMachine({
    id: 'stop-grace',
    context: ({ input }) => ({ tool: input.tool, summary: null, flags: [] }),
    initial: 'researching',
    states: {
      researching: {
        invoke: {
          id: 'research',
          src: 'research',
          input: ({ context }) => ({ tool: context.tool }),
          onDone: [
            { guard: 'stepFlagged', target: 'done', actions: assign({ flags: flagsFrom() }) },
            { target: 'done', actions: assign({ summary: ({ event }) => event.output.data?.summary ?? null }) },
          ],
        },
      },
      done: { type: 'final' },
    },
    output: ({ context }) => ({ summary: context.summary, flags: context.flags }),
  }),
});

/** Turn 1 calls the tool named in the prompt; turn 2 sums up what it returned. */
function script(req: SimRequest) {
  const result = req.messages.find((m) => m.role === 'tool');
  if (!result) return { content: '', toolCalls: [{ function: { name: req.messages[0]?.content.slice('use '.length) ?? '', arguments: {} } }] };
  return JSON.stringify({ summary: result.content });
}

const modelCalls = (journal: { result: { model: string } }[]) => journal.filter((entry) => !entry.result.model.startsWith('tool:'));

describe('a bounded graceful stop', () => {
  it('cuts off a call that outlasts the grace, checkpoints the run stopped, names the call; resume makes it again', async () => {
    const { store, sim } = await runs.start({ script: { '*': script } });
    world.log = [];
    world.hanging = true;
    const controller = new AbortController();
    world.onStart = () => controller.abort();
    const stops: StopReport[] = [];
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { tool: 'hang' }, runId: 'grace-1', signal: controller.signal, stopGraceMs: 100, onStop: (report) => stops.push(report) });

    expect(stopped.status).toBe('stopped');
    expect(stops).toEqual([{ cutOff: ['research/hang'] }]);
    expect(stopped.journal.map((entry) => entry.step)).toEqual(['research']); // the cut-off call is not journaled

    world.hanging = false;
    world.onStart = () => undefined;
    const done = await resumeWorkflow({ store, runId: 'grace-1', workflow });
    expect(done.status).toBe('done');
    expect(done.output).toEqual({ summary: 'hung no more', flags: [] });
    expect(world.log).toEqual(['hang start', 'hang start', 'hang done']); // made again on resume, completed once
    expect(sim.stats().completed).toBe(modelCalls(done.journal).length); // no model turn paid twice
  });

  it('waits for calls that finish within the grace: nothing is cut off', async () => {
    const { store } = await runs.start({ script: { '*': script } });
    world.log = [];
    world.hanging = false;
    const controller = new AbortController();
    world.onStart = () => controller.abort();
    const stops: StopReport[] = [];
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { tool: 'hang' }, runId: 'grace-2', signal: controller.signal, stopGraceMs: 60_000, onStop: (report) => stops.push(report) });
    expect(stopped.status).toBe('stopped');
    expect(stops).toEqual([{ cutOff: [] }]);
    expect(stopped.journal.map((entry) => entry.step)).toEqual(['research', 'research/hang']);
  });

  it('journals a timed-out tool call: resume does not run it again, and ends as an uninterrupted run would', async () => {
    const { store, sim } = await runs.start({ script: { '*': script } });
    world.log = [];
    const controller = new AbortController();
    // Stop as the second turn starts: the timed-out result is journaled by then, the turn in flight finishes.
    let paid = 0;
    const onCall = (event: CallEvent) => {
      if (event.type === 'call.start' && ++paid === 2) controller.abort();
    };
    const stopped = await runWorkflow({ store, workflow, modulePath, input: { tool: 'slow' }, runId: 'timed-out', signal: controller.signal, onCall });
    expect(stopped.status).toBe('stopped');
    const timedOut = stopped.journal.find((entry) => entry.step === 'research/slow');
    expect(timedOut?.result).toMatchObject({ success: false, content: 'error: tool slow timed out after 50 ms', metadata: { error: { kind: 'timeout' } } });

    const done = await resumeWorkflow({ store, runId: 'timed-out', workflow });
    expect(done.status).toBe('done');
    expect(done.output).toEqual({ summary: 'error: tool slow timed out after 50 ms', flags: [] });
    expect(world.log).toEqual(['slow start']);
    expect(sim.stats().completed).toBe(modelCalls(done.journal).length);
  });
});
