// Shared pieces of the worker tests: fixture modules, temp stores, a simulator that counts prompts, event logs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWorkflow } from '../../src/runtime/index.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { FileStore, type FileStoreOptions, type RunRecord } from '../../src/store/index.ts';
import { startSimulator, type SimulatorOptions, type Simulator } from '../../src/testing/index.ts';
import type { WorkerEvent } from '../../src/worker/index.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const stepsModule = fileURLToPath(new URL('./fixtures/steps.workflow.ts', import.meta.url));
export const expiringModule = fileURLToPath(new URL('./fixtures/expiring.workflow.ts', import.meta.url));

const dirs: string[] = [];
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'harness-worker-'));
  dirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
export const tempStore = (options: Omit<FileStoreOptions, 'dir'> = {}) => new FileStore({ ...options, dir: tempDir() });

/** A simulator answering every prompt validly, counting how many requests each prompt (user message) got. */
export async function countingSimulator(options: SimulatorOptions = {}): Promise<{ sim: Simulator; prompts: Map<string, number> }> {
  const prompts = new Map<string, number>();
  const sim = await startSimulator({
    ...options,
    script: {
      '*': (req) => {
        const prompt = req.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
        prompts.set(prompt, (prompts.get(prompt) ?? 0) + 1);
        return JSON.stringify({ answer: `re ${prompt}` });
      },
    },
  });
  return { sim, prompts };
}

/** Creates runs of a fixture module without driving them, as `harness submit` does. */
export async function submit(store: FileStore, module: string, input: unknown, runId: string): Promise<string> {
  const { workflow, modulePath } = await loadWorkflow(module);
  return submitRun({ store, workflow, modulePath, input, runId, cwd: repoRoot });
}

/** Polls until `check` gives a value other than undefined; fails after `ms`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls a run until it reaches one of `statuses`. */
export function untilStatus(store: FileStore, runId: string, statuses: RunRecord['status'][], ms?: number): Promise<RunRecord> {
  return until(async () => {
    const record = await store.read(runId);
    return statuses.includes(record.status) ? record : undefined;
  }, ms);
}

export function eventLog(): { events: WorkerEvent[]; onEvent: (event: WorkerEvent) => void } {
  const events: WorkerEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}
