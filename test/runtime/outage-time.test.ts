// Outages move a run on time: the outage window counts driven time only (not a crash, a stop or a wait), outage tries
// are kept apart from model attempts, and a run is `parked` only when no branch can still make progress.
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { afterAll, describe, expect, it } from 'vitest';
import { flagReasons } from '../../src/cli/print-run.ts';
import { resumeWorkflow, runWorkflow } from '../../src/runtime/runs.ts';
import { defineWorkflow, flagsFrom, stepGuards } from '../../src/steps/index.ts';
import type { RunRecord } from '../../src/store/index.ts';
import { gate } from '../inspect/fixtures/runs.ts';
import { useSimulators } from '../helpers/simulators.ts';
import { askStep, contextOf, invalidReply, modulePath, oneStepWorkflow, removeTempDirs, small, tempStore, validReply, type Answer } from '../steps/fixtures.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

const input = { question: 'What is six times seven?' };
const busy = { content: '', fault: '503' as const };

describe('outage time', () => {
  it('counts only while the run is driven: stopped in an outage and resumed later, the run backs off again before it parks', async () => {
    let failing = Infinity;
    let requests = 0;
    const sim = await simulator({ script: { '*': () => (++requests <= failing ? busy : validReply('after the outage')) } });
    const store = tempStore();
    const workflow = oneStepWorkflow({ ladder: [small], config: { host: sim.url, timeoutMs: 3000 }, backoff: { baseMs: 10, capMs: 20 } });
    const outage = { parkAfterMs: 1000, retryParkedMs: 60_000 };

    // Two tries into the outage, the run is stopped (as a SIGTERM or Ctrl-C would): it rests `stopped`, mid-outage.
    const stop = new AbortController();
    const stopped = await runWorkflow({
      store, workflow, modulePath, input, outage, signal: stop.signal,
      onCall: (event) => {
        if (event.type === 'call.end' && requests >= 2) stop.abort();
      },
    });
    expect(stopped.status).toBe('stopped');
    expect(requests).toBe(2);

    // Longer than the whole outage bound passes with nobody driving the run; then it is resumed, the host failing again.
    await new Promise((resolve) => setTimeout(resolve, outage.parkAfterMs + 500));
    failing = requests + 3;
    const done = await resumeWorkflow({ store, runId: stopped.runId, workflow, outage });
    expect(done.status).toBe('done');
    expect(requests).toBe(6);
    const attempt = contextOf(done).ask?.attempts[0];
    expect(attempt?.outageTries?.map((t) => t.error.kind)).toEqual(['busy', 'busy', 'busy', 'busy', 'busy']);
  });
});

describe('outage tries', () => {
  it('are not attempts: the flag counts the model attempts, and the reasons show the outage tries apart', async () => {
    let requests = 0;
    const sim = await simulator({ script: { '*': () => (++requests <= 2 ? busy : invalidReply) } });
    const workflow = oneStepWorkflow({ ladder: [small], maxRetries: 0, config: { host: sim.url, timeoutMs: 3000 }, backoff: { baseMs: 10, capMs: 20 } });
    const record = await runWorkflow({ store: tempStore(), workflow, modulePath, input, outage: { parkAfterMs: 60_000 } });
    expect(record.status).toBe('flagged');
    expect(record.flags).toEqual([expect.stringMatching(/^ask: ladder exhausted after 1 attempt\(s\) \(last: invalid-output: /)]);
    const step = contextOf(record).ask;
    expect(step?.attempts.map((a) => [a.attempt, a.error?.kind])).toEqual([[1, 'invalid-output']]);
    expect(step?.attempts[0]?.outageTries?.map((t) => t.error.kind)).toEqual(['busy', 'busy']);
    expect(step?.reasons[1]).toMatch(/^qwen2\.5-coder:7b attempt 1: invalid-output \(.*\), after 2 outage tries$/);
    // `harness show` reads the same from the journal.
    expect(flagReasons(record)).toEqual([{ label: 'ask', reasons: [record.flags[0]?.slice('ask: '.length), expect.stringMatching(/attempt 1: invalid-output \(.*\), after 2 outage tries$/)] }]);
  });
});

type Branch = 'left' | 'right';

/** Two steps side by side in a parallel state, each on its own host; the run's output keeps both answers. */
function twoBranches(hosts: Record<Branch, string>) {
  const step = (id: Branch) =>
    askStep({ id, prompt: (q) => [{ role: 'user', content: `${id}: ${q.question}` }], ladder: [small], maxRetries: 0, backoff: { baseMs: 10, capMs: 20 }, config: { host: hosts[id], timeoutMs: 5000 } });
  const branches = setup({
    types: { context: {} as { answers: Partial<Record<Branch, Answer | null>>; flags: string[] }, input: {} as { question: string } },
    actors: { left: step('left'), right: step('right') },
    guards: stepGuards,
  });
  const region = (id: Branch) =>
    branches.createStateConfig({
      initial: 'asking',
      states: {
        asking: {
          invoke: {
            id,
            src: id,
            input: () => ({ question: id }),
            onDone: [
              { guard: 'stepFlagged', target: 'answered', actions: assign({ flags: flagsFrom() }) },
              { target: 'answered', actions: assign({ answers: ({ context, event }) => ({ ...context.answers, [id]: event.output.data }) }) },
            ],
          },
        },
        answered: { type: 'final' },
      },
    });
  const machine = branches.createMachine({
    id: 'two-branches',
    context: { answers: {}, flags: [] },
    type: 'parallel',
    states: { left: region('left'), right: region('right') },
    output: ({ context }) => ({ answers: context.answers, flags: context.flags }),
  });
  return defineWorkflow({ id: 'two-branches', input: z.object({ question: z.string() }), machine });
}

/** The state value of the step `id` in a run's persisted snapshot (`parked`, `backingOff`…), if it is active. */
function stepState(record: RunRecord, id: Branch): unknown {
  const children = (record.snapshot as { children?: Record<string, { snapshot?: { value?: unknown } }> } | null)?.children ?? {};
  return children[id]?.snapshot?.value;
}

describe('a parked branch', () => {
  it('does not park the run while another branch is still inside its outage window; a wake-up leaves it until its retry time', async () => {
    // The left host is always busy: its step parks. The right host holds its first request until the left step has
    // parked, then answers 503 (the right step backs off on a timer), then answers.
    const leftSim = await simulator({ script: { '*': () => busy } });
    const held = gate();
    let right = 0;
    const rightSim = await simulator({
      script: {
        '*': async () => {
          right += 1;
          if (right > 1) return validReply('the right answer');
          await held.opened;
          return busy;
        },
      },
    });
    const workflow = twoBranches({ left: leftSim.url, right: rightSim.url });
    const store = tempStore();
    const outage = { parkAfterMs: 150, retryParkedMs: 60_000 };
    const statuses: string[] = [];
    const record = await runWorkflow({
      store, workflow, modulePath, input: { question: 'q' }, outage,
      onCheckpoint: (r) => {
        statuses.push(r.status);
        if (stepState(r, 'left') === 'parked') held.open();
      },
    });
    // The right step rode out its own outage while the left one was parked; only then did the run park.
    expect(record.status).toBe('parked');
    expect(statuses.slice(0, -1).every((status) => status === 'running')).toBe(true);
    expect(contextOf<{ answers: Record<string, Answer> }>(record).answers.right?.answer).toBe('the right answer');
    expect(right).toBe(2);
    expect(stepState(record, 'left')).toBe('parked');
    expect(record.wakeAt).toBeGreaterThan(Date.now() + 30_000);

    // A worker's wake-up (or a takeover) is not a person's "now": the parked step keeps its retry time.
    const leftBefore = leftSim.stats().requests;
    const woken = await resumeWorkflow({ store, runId: record.runId, workflow, outage, retryParked: false });
    expect(woken.status).toBe('parked');
    expect(leftSim.stats().requests).toBe(leftBefore);
    expect(woken.wakeAt).toBe(record.wakeAt);

    // A person's resume means now: the parked step tries its host again at once.
    const resumed = await resumeWorkflow({ store, runId: record.runId, workflow, outage });
    expect(resumed.status).toBe('parked');
    expect(leftSim.stats().requests).toBeGreaterThan(leftBefore);
  });
});
