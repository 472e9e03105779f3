// Tool crash test: a run in a child process is SIGKILLed while a tool call is in flight — an off-thread scan spinning
// in a worker thread, a tool deaf to its signal — after a timed-out call was journaled; resumed, it must give an
// uninterrupted run's output, run no completed tool twice (the timed-out one included) and pay no model turn twice.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileStore, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { planScript } from './fixtures/tool-workflow.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('./fixtures/agent-child.ts', import.meta.url));
const workflowModule = fileURLToPath(new URL('./fixtures/tool-workflow.ts', import.meta.url));
const runId = 'tool-run';
const input = JSON.stringify({ plan: ['stall', 'scan', 'wait'] });
const expected = { summary: 'error: tool stall timed out after 200 ms; 1 match(es); waited', flags: [] };

const base = mkdtempSync(join(tmpdir(), 'harness-tool-crash-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A child driving the run; one that hangs is killed after a bounded wait and reported. */
function child(dir: string, args: string[], env: Record<string, string> = {}) {
  const proc = spawn(process.execPath, ['--import', 'tsx', childScript, ...args], {
    cwd: projectRoot,
    env: { ...process.env, OLLAMA_HOST: sim?.url ?? '', TOOL_LOG: join(dir, 'tools.log'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const watchdog = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    proc.once('exit', (code) => {
      clearTimeout(watchdog);
      resolve({ code, stderr });
    }),
  );
  return { exited, kill: () => proc.kill('SIGKILL') };
}

async function settled(run: ReturnType<typeof child>): Promise<void> {
  const exit = await run.exited;
  if (exit.code !== 0) throw new Error(`child exited ${exit.code}:\n${exit.stderr}`);
}

const toolLog = (dir: string): string[] => (existsSync(join(dir, 'tools.log')) ? readFileSync(join(dir, 'tools.log'), 'utf8').trim().split('\n') : []);
const lines = (dir: string, prefix: string) => toolLog(dir).filter((line) => line.startsWith(prefix));

/** Polls the tool log (bounded) until a line starting with `prefix` is in it. */
async function logged(dir: string, prefix: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (lines(dir, prefix).length === 0) {
    if (Date.now() > deadline) throw new Error(`"${prefix}" never logged: ${toolLog(dir).join(' | ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function scenario(name: string) {
  const dir = join(base, name);
  sim = await startSimulator({ script: { '*': planScript } });
  return { dir, sim, record: (): Promise<RunRecord> => new FileStore({ dir }).read(runId) };
}

/** Each tool completed once, the timed-out one started once, every model turn paid once, the reference output. */
function expectSound(dir: string, sim: Simulator, record: RunRecord): void {
  expect(record.status).toBe('done');
  expect(record.output).toEqual(expected);
  const done = lines(dir, 'done ');
  expect(new Set(done).size).toBe(done.length);
  expect(done.map((line) => line.split(' ')[1]).sort()).toEqual(['scan', 'wait']);
  expect(lines(dir, 'start stall')).toHaveLength(1); // journaled as timed out: never run again
  const tools = record.journal.filter((entry) => entry.result.model.startsWith('tool:'));
  expect(tools.map((entry) => entry.step).sort()).toEqual(['research/scan', 'research/stall', 'research/wait']);
  expect(sim.stats().completed).toBe(record.journal.length - tools.length);
}

describe('tool calls: crash and resume', () => {
  it('an uninterrupted run: a timed-out call, an off-thread scan, a wait', async () => {
    const { dir, sim, record } = await scenario('reference');
    await settled(child(dir, ['run', dir, runId, workflowModule, input]));
    expectSound(dir, sim, await record());
  }, 90_000);

  for (const tool of ['scan', 'wait']) {
    it(`SIGKILLed while ${tool === 'scan' ? 'an off-thread scan spins in its worker thread' : 'a tool deaf to its signal holds'}: made again once on resume`, async () => {
      const { dir, sim, record } = await scenario(`during-${tool}`);
      const first = child(dir, ['run', dir, runId, workflowModule, input], { TOOL_HOLD: tool });
      await logged(dir, `start ${tool}`);
      first.kill();
      await first.exited;
      expect(lines(dir, `done ${tool}`)).toEqual([]);
      await settled(child(dir, ['resume', dir, runId]));
      expectSound(dir, sim, await record());
      // The call in flight was started twice under one idempotency key, and completed once.
      const starts = lines(dir, `start ${tool}`);
      expect(starts).toHaveLength(2);
      expect(new Set(starts).size).toBe(1);
    }, 90_000);
  }
});
