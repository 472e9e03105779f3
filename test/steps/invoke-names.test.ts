// Invokes named after their step: ids derived where the author wrote none, explicit ids kept, duplicates told apart,
// and the names a run's calls carry everywhere (live events, journal keys, call rows), fan-out items by index.
import { StateMachine, assign, fromPromise, setup, type AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { callRows } from '../../src/cli/print-run.ts';
import { describeTimeline } from '../../src/inspect/timeline.ts';
import { runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, fanOut, modelStep, type CallEvent } from '../../src/steps/index.ts';
import { hasDerivedId, nameInvokes } from '../../src/steps/invoke-names.ts';
import { isCallEntry } from '../../src/steps/services.ts';
import { answerSchema, modulePath, removeTempDirs, small, tempStore, validReply, type Question } from './fixtures.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

/** Each state's invokes as `state: id` (derived ids marked `*`), from the machine XState built. */
function invokeIds(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const visit = (node: AnyStateMachine['root'], path: string): void => {
    node.invoke.forEach((def, i) => {
      const config: unknown = Array.isArray(node.config.invoke) ? node.config.invoke[i] : node.config.invoke;
      out.push(`${path || '(machine)'}: ${def.id}${hasDerivedId(config) ? '*' : ''}`);
    });
    for (const [key, child] of Object.entries(node.states)) visit(child, path ? `${path}.${key}` : key);
  };
  visit(machine.root, '');
  return out;
}

const noop = fromPromise(async () => 'ok');

describe('nameInvokes', () => {
  it('names an unnamed invoke after its step, keeps explicit ids, and tells apart a step invoked from two states', () => {
    const machine = setup({ actors: { extract: noop, check: noop } }).createMachine({
      id: 'flow',
      initial: 'extracting',
      states: {
        extracting: { invoke: { src: 'extract', onDone: 'checking' } },
        checking: {
          type: 'parallel',
          states: {
            a: { invoke: { src: 'check' } },
            b: { invoke: [{ src: 'check' }, { id: 'mine', src: 'extract' }] },
          },
        },
        inline: { invoke: { src: fromPromise(async () => 1) } },
      },
    });
    expect(invokeIds(nameInvokes(machine))).toEqual([
      'extracting: extract*',
      'checking.a: check@checking.a*',
      'checking.b: check@checking.b*',
      'checking.b: mine',
      'inline: inline*',
    ]);
    // The original machine is left as it was: XState's generated ids.
    expect(invokeIds(machine)[0]).toBe('extracting: 0.flow.extracting');
  });

  it('names the invokes of the machines a workflow invokes by name (a sub-agent), and their done events follow', () => {
    const agent = setup({ actors: { extract: noop } }).createMachine({
      id: 'agent',
      initial: 'working',
      states: { working: { invoke: { src: 'extract', onDone: 'done' } }, done: { type: 'final' } },
    });
    const outer = setup({ actors: { agent } }).createMachine({
      id: 'outer',
      initial: 'delegating',
      states: { delegating: { invoke: { src: 'agent', onDone: 'done' } }, done: { type: 'final' } },
    });
    const named = nameInvokes(outer);
    expect(invokeIds(named)).toEqual(['delegating: agent*']);
    const inner: unknown = named.implementations.actors.agent;
    expect(inner instanceof StateMachine ? invokeIds(inner) : []).toEqual(['working: extract*']);
    expect([...named.root.states.delegating!.transitions.keys()]).toContain('xstate.done.actor.agent');
  });
});

describe('a run of unnamed invokes', () => {
  it('labels calls by step, and a fan-out of steps by item index, in live events, journal keys and call rows', async () => {
    const sim = await simulator({ script: { '*': () => validReply() } });
    const config = { host: sim.url, timeoutMs: 5000 };
    const step = (id: string) =>
      modelStep<Question, z.infer<typeof answerSchema>>({ id, prompt: (q) => [{ role: 'user', content: q.question }], schema: answerSchema, ladder: [small], maxRetries: 0, config });
    const machine = setup({
      types: { context: {} as { questions: string[] }, input: {} as { questions: string[] } },
      actors: { summarise: step('summarise'), fan: fanOut({ id: 'fan', worker: step('expand'), concurrency: 2 }) },
    }).createMachine({
      id: 'flow',
      context: ({ input }) => ({ questions: input.questions }),
      initial: 'summarising',
      states: {
        summarising: { invoke: { src: 'summarise', input: { question: 'all' }, onDone: 'expanding' } },
        expanding: {
          invoke: {
            src: 'fan',
            input: ({ context }) => ({ items: context.questions.map((question) => ({ question })) }),
            onDone: { target: 'done', actions: assign({ questions: () => [] }) },
          },
        },
        done: { type: 'final' },
      },
    });
    const workflow = defineWorkflow({ id: 'flow', input: z.object({ questions: z.array(z.string()) }), machine });
    const live: string[] = [];
    const onCall = (event: CallEvent) => {
      if (event.type === 'call.end') live.push(event.step);
    };
    const store = tempStore();
    const finished = await runWorkflow({ store, workflow, modulePath, input: { questions: ['a', 'b', 'c'] }, onCall });
    const record = await store.read(finished.runId);
    expect(record.status).toBe('done');
    const labels = ['fan[0]/expand', 'fan[1]/expand', 'fan[2]/expand', 'summarise'];
    expect(live.toSorted()).toEqual(labels);
    expect(callRows(record).map((row) => row.step).toSorted()).toEqual(labels);
    expect(record.journal.filter(isCallEntry).map((entry) => entry.key.slice(0, entry.key.indexOf(':'))).toSorted()).toEqual([
      'root/fan/fan.0/attempt',
      'root/fan/fan.1/attempt',
      'root/fan/fan.2/attempt',
      'root/summarise/attempt',
    ]);
    const words = describeTimeline(record).map((row) => row.text);
    expect(words).toEqual(expect.arrayContaining(['summarise: attempt 1 started', 'fan[0]: attempt 1 started', 'fan[2]: attempt 1 started']));
    expect(words).toContain('fan: fan[1] finished');
    expect(words.join('\n')).not.toMatch(/fan\.\d|0\.flow/);
  });
});
