// Judge crash test: a run whose replies are graded by an LLM judge is SIGKILLed while a judge's call is in flight, and
// right after one is journaled, then resumed: the output equals an uninterrupted run's, and no journaled call — the
// reply or the judge's — is paid twice (the simulator's request log says what was paid).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type SimRequest, type Simulator } from '../../src/testing/index.ts';
import { settled, spawnChild } from '../helpers/child-run.ts';
import { eventually } from '../helpers/simulators.ts';
import { answerModel, judgeModel } from './fixtures/judge-workflow.ts';

// The agent crash test's child is generic: it runs or resumes any workflow module, and can kill itself after a call.
const childScript = fileURLToPath(new URL('./fixtures/agent-child.ts', import.meta.url));
const workflowModule = fileURLToPath(new URL('./fixtures/judge-workflow.ts', import.meta.url));
const runId = 'judged-run';
const input = JSON.stringify({ topic: 'tides' });

const base = mkdtempSync(join(tmpdir(), 'harness-judge-crash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const isJudge = (req: SimRequest) => req.messages[0]?.role === 'system' && req.messages[0].content.startsWith('You are a strict, impartial evaluator');

interface Judged {
  sim: Simulator;
  dir: string;
  /** While set, a judge's request is held (in flight, never answered) until `release()`. */
  hold: boolean;
  release: () => void;
  record: () => Promise<RunRecord>;
}

let open: Judged | undefined;
afterEach(async () => {
  open?.release();
  await open?.sim.close();
  open = undefined;
});

async function scenario(name: string): Promise<Judged> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const judged: Omit<Judged, 'sim'> = { dir: join(base, name), hold: false, release, record: () => new FileStore({ dir: judged.dir }).read(runId) };
  const reply = async (req: SimRequest): Promise<string> => {
    if (!isJudge(req)) return JSON.stringify({ text: `${req.messages[0]?.content ?? ''}: the moon pulls the sea.` });
    if (judged.hold) await held;
    return JSON.stringify({ score: 9, reasons: ['one sentence, on topic'] });
  };
  const sim = await startSimulator({ script: { '*': reply } });
  open = Object.assign(judged, { sim });
  return open;
}

/** Runs or resumes the run in a child process, against the scenario's simulator. */
const child = (sim: Simulator, args: string[], env: Record<string, string> = {}) => spawnChild(childScript, args, { OLLAMA_HOST: sim.url, ...env });

/** Completed (paid) requests per model, from the simulator's log. */
const paid = (sim: Simulator, model: string) => sim.log().filter((request) => request.model === model).length;

/** After any crash: the same output, each reply and each judge's call paid once, each journaled once, scores kept. */
async function expectSound(judged: Judged, expected: unknown) {
  const record = await judged.record();
  expect(record.status).toBe('done');
  expect(record.output).toEqual(expected);
  expect(paid(judged.sim, answerModel)).toBe(2);
  expect(paid(judged.sim, judgeModel)).toBe(2);
  const keys = record.journal.map((entry) => entry.key);
  expect(new Set(keys).size).toBe(keys.length);
  expect(record.journal.map((entry) => [entry.step, entry.result.score])).toEqual([
    ['answer', 0.9], ['answer (judge)', null], ['explain', 0.9], ['explain (judge)', null],
  ]);
  expect(record.usage.calls).toBe(4);
}

describe('judged steps: crash and resume', () => {
  let expected: unknown;

  it('an uninterrupted run: two replies, each graded by one judge call', async () => {
    const judged = await scenario('reference');
    await settled(child(judged.sim, ['run', judged.dir, runId, workflowModule, input]));
    expected = (await judged.record()).output;
    expect(expected).toMatchObject({ scores: [0.9, 0.9], flags: [] });
    await expectSound(judged, expected);
  }, 90_000);

  it("SIGKILLed while a judge's call is in flight: resume judges again, the reply is not paid again", async () => {
    const judged = await scenario('judge-in-flight');
    judged.hold = true;
    const disconnects = judged.sim.stats().disconnects;
    const first = child(judged.sim, ['run', judged.dir, runId, workflowModule, input]);
    await eventually(() => (judged.sim.stats().byModel[judgeModel]?.requests ?? 0) >= 1, 30_000);
    first.kill();
    await first.exited;
    // The held call is let go only once the simulator has seen its client leave: released sooner, it could still be
    // answered into the closing socket and logged as paid, though nobody received it.
    await eventually(() => judged.sim.stats().disconnects > disconnects, 30_000);
    judged.hold = false;
    judged.release();
    // The reply was journaled before its judge was called; nothing else was.
    const killed = await judged.record();
    expect(killed.journal.map((entry) => [entry.step, entry.result.score])).toEqual([['answer', null]]);
    expect(paid(judged.sim, answerModel)).toBe(1);
    expect(paid(judged.sim, judgeModel)).toBe(0);

    await settled(child(judged.sim, ['resume', judged.dir, runId]));
    await expectSound(judged, expected);
    // The judge's call in flight at the kill was made again (it was never answered); the reply was never asked again.
    expect(judged.sim.stats().byModel[answerModel]?.requests).toBe(2);
    expect(judged.sim.stats().byModel[judgeModel]?.requests).toBe(3);
  }, 90_000);

  it("SIGKILLed right after a judge's call is journaled: resume replays both the reply and the verdict", async () => {
    const judged = await scenario('judge-journaled');
    // The first paid call reported is the judge's (a reply is reported once it is scored).
    const first = child(judged.sim, ['run', judged.dir, runId, workflowModule, input], { CRASH_AFTER_CALLS: '1' });
    expect((await first.exited).signal).toBe('SIGKILL');
    const killed = await judged.record();
    expect(killed.journal.map((entry) => entry.step)).toEqual(['answer', 'answer (judge)']);

    await settled(child(judged.sim, ['resume', judged.dir, runId]));
    await expectSound(judged, expected);
    expect(judged.sim.stats().byModel[answerModel]?.requests).toBe(2);
    expect(judged.sim.stats().byModel[judgeModel]?.requests).toBe(2);
  }, 90_000);
});
