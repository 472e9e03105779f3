// Agent crash test: an agent run in a child process is SIGKILLed during a tool call and between turns, then resumed;
// no completed tool may run twice, no model turn be paid twice, and the output must equal an uninterrupted run's.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type SimReply, type SimRequest, type Simulator } from '../../src/testing/index.ts';
import { settled, spawnChild } from '../helpers/child-run.ts';
import { eventually } from '../helpers/simulators.ts';

const childScript = fileURLToPath(new URL('./fixtures/agent-child.ts', import.meta.url));
const workflowModule = fileURLToPath(new URL('./fixtures/agent-workflow.ts', import.meta.url));
const runId = 'agent-run';
const input = JSON.stringify({ topic: 'tides' });

const base = mkdtempSync(join(tmpdir(), 'harness-agent-crash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Turn 1: two notes in parallel; turn 2: the slow note; turn 3: the summary of every result. */
function script(req: SimRequest): SimReply | string {
  const results = req.messages.filter((m) => m.role === 'tool').map((m) => m.content);
  const call = (topic: string) => ({ function: { name: 'note', arguments: { topic } } });
  if (results.length === 0) return { content: '', toolCalls: [call('alpha'), call('beta')] };
  if (results.length === 2) return { content: '', toolCalls: [call('slow')] };
  return JSON.stringify({ summary: results.join('; ') });
}

/** Runs the child to its exit; a child that hangs is killed after a bounded wait and reported. */
function child(sim: Simulator, dir: string, args: string[], env: Record<string, string> = {}) {
  return spawnChild(childScript, args, { OLLAMA_HOST: sim.url, AGENT_TOOL_LOG: join(dir, 'tools.log'), ...env });
}

/** Polls (bounded) until `check` holds. */
const until = (check: () => boolean) => eventually(check, 30_000);

const toolLog = (dir: string): string[] => (existsSync(join(dir, 'tools.log')) ? readFileSync(join(dir, 'tools.log'), 'utf8').trim().split('\n') : []);
const completed = (dir: string): string[] => toolLog(dir).filter((line) => line.startsWith('done '));

async function scenario(name: string) {
  const dir = join(base, name);
  sim = await startSimulator({ script: { '*': script } });
  const record = async (): Promise<RunRecord> => new FileStore({ dir }).read(runId);
  return { dir, sim, record };
}

/** The invariants after any crash: each tool call completed once, each model turn paid once, the same output. */
async function expectSound(dir: string, sim: Simulator, record: RunRecord, expected: unknown) {
  expect(record.status).toBe('done');
  expect(record.output).toEqual(expected);
  const done = completed(dir);
  expect(new Set(done).size).toBe(done.length);
  expect(done.map((line) => line.split(' ')[1]).sort()).toEqual(['alpha', 'beta', 'slow']);
  const modelEntries = record.journal.filter((entry) => !entry.result.model.startsWith('tool:'));
  const toolEntries = record.journal.filter((entry) => entry.result.model.startsWith('tool:'));
  expect(toolEntries).toHaveLength(3);
  expect(sim.log()).toHaveLength(modelEntries.length);
  expect(sim.stats().completed).toBe(3);
}

describe('agent step: crash and resume', () => {
  let expected: unknown;

  it('an uninterrupted run: three turns, three tool calls', async () => {
    const { dir, sim, record } = await scenario('reference');
    await settled(child(sim, dir, ['run', dir, runId, workflowModule, input]));
    const finished = await record();
    expected = finished.output;
    expect(expected).toEqual({ summary: 'noted alpha; noted beta; noted slow', turns: 3, toolCalls: 3, flags: [] });
    await expectSound(dir, sim, finished, expected);
  }, 90_000);

  it('SIGKILLed during a tool call: the call in flight runs again, nothing completed does', async () => {
    const { dir, sim, record } = await scenario('during-tool');
    const first = child(sim, dir, ['run', dir, runId, workflowModule, input], { AGENT_TOOL_HOLD: '1' });
    await until(() => toolLog(dir).some((line) => line.startsWith('start slow')));
    first.kill();
    await first.exited;
    expect(completed(dir).map((line) => line.split(' ')[1])).toEqual(expect.arrayContaining(['alpha', 'beta']));
    await settled(child(sim, dir, ['resume', dir, runId]));
    const finished = await record();
    await expectSound(dir, sim, finished, expected);
    // The slow call was in flight: started twice with one idempotency key, completed once.
    const starts = toolLog(dir).filter((line) => line.startsWith('start slow'));
    expect(starts).toHaveLength(2);
    expect(new Set(starts).size).toBe(1);
  }, 90_000);

  it('SIGKILLed between turns, right after a reply is journaled: resume replays it and pays for nothing again', async () => {
    const { dir, sim, record } = await scenario('between-turns');
    const first = child(sim, dir, ['run', dir, runId, workflowModule, input], { CRASH_AFTER_CALLS: '1' });
    expect((await first.exited).signal).toBe('SIGKILL');
    expect(completed(dir)).toEqual([]);
    const second = child(sim, dir, ['resume', dir, runId], { CRASH_AFTER_CALLS: '1' });
    expect((await second.exited).signal).toBe('SIGKILL');
    await settled(child(sim, dir, ['resume', dir, runId]));
    await expectSound(dir, sim, await record(), expected);
  }, 90_000);
});

describe('agent step: a crash during compaction', () => {
  const chunks = 40;
  const compactionModule = fileURLToPath(new URL('./fixtures/compaction-workflow.ts', import.meta.url));

  it('SIGKILLed right after a summary is journaled, then while another is in flight: resumes, pays for no summary twice, loses no turn', async () => {
    const dir = join(base, 'compaction');
    const { script: reader, isSummaryRequest, simModels, valueOf } = await import('./fixtures/compaction-workflow.ts');
    const model = reader(chunks);
    // Armed, the next summary request is held until the test lets it go: the process is killed with it in flight.
    let armed = false;
    let arrived = (): void => {};
    let release = (): void => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const heldArrived = new Promise<void>((resolve) => (arrived = resolve));
    let summaryRequests = 0;
    sim = await startSimulator({
      models: simModels,
      script: {
        '*': async (req) => {
          if (!isSummaryRequest(req)) return model(req);
          summaryRequests++;
          if (armed) {
            armed = false;
            arrived();
            await held;
          }
          return model(req);
        },
      },
    });
    const input = JSON.stringify({ chunks });

    const first = child(sim, dir, ['run', dir, 'compaction-run', compactionModule, input], { CRASH_AFTER_STEP: 'compact' });
    expect((await first.exited).signal).toBe('SIGKILL');
    const afterFirst = await new FileStore({ dir }).read('compaction-run');
    expect(afterFirst.journal.filter((e) => e.step.endsWith('.compact'))).toHaveLength(1);

    armed = true;
    const server = sim;
    const disconnects = server.stats().disconnects;
    const second = child(sim, dir, ['resume', dir, 'compaction-run']);
    await heldArrived;
    second.kill();
    expect((await second.exited).signal).toBe('SIGKILL');
    // The held reply is let go only once the simulator has seen its client leave: released sooner, it could still be
    // answered into the closing socket and logged as a completed call that nobody journaled.
    await eventually(() => server.stats().disconnects > disconnects, 30_000);
    release();

    await settled(child(sim, dir, ['resume', dir, 'compaction-run']));
    const finished = await new FileStore({ dir }).read('compaction-run');
    expect(finished.status).toBe('done');
    const total = Array.from({ length: chunks }, (_, i) => valueOf(i)).reduce((a, b) => a + b, 0);
    expect(finished.output).toMatchObject({ answer: { total, chunks }, flags: [] });

    const summaries = finished.journal.filter((e) => e.step.endsWith('.compact'));
    const { compactions } = finished.output as { compactions: number };
    expect(compactions).toBeGreaterThanOrEqual(2);
    expect(summaries).toHaveLength(compactions);
    // The first summary was replayed from the journal after the first kill; the one in flight at the second kill was
    // asked again (it never completed); every other summary was asked once.
    expect(summaryRequests).toBe(compactions + 1);
    // Every completed model call is in the journal once: none was paid twice.
    const modelCalls = finished.journal.filter((e) => !e.result.model.startsWith('tool:'));
    expect(sim.log()).toHaveLength(modelCalls.length);
    expect(sim.stats().truncations).toBe(0);
  }, 180_000);
});
