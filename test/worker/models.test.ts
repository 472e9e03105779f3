// A worker checks a submitted run's models before its first drive, as `harness run` does: a model no host has is a
// refusal (reported, retried later), and nothing is paid.
import { afterAll, describe, expect, it } from 'vitest';
import { submitRun } from '../../src/runtime/runs.ts';
import { FileStore } from '../../src/store/index.ts';
import { startWorker, type WorkerEvent } from '../../src/worker/index.ts';
import { fileURLToPath } from 'node:url';
import { loadWorkflow } from '../../src/runtime/index.ts';
import { removeTempDirs, tempDir } from '../steps/fixtures.ts';
import { useSimulators, eventually } from '../helpers/simulators.ts';

const simulator = useSimulators();
afterAll(removeTempDirs);

describe('a worker and the models on its hosts', () => {
  it('refuses a submitted run whose model no host has, and pays for nothing', async () => {
    const sim = await simulator({ models: ['llama3.2:3b'] }); // the workflow's model is not there
    const hostBefore = process.env.OLLAMA_HOST;
    process.env.OLLAMA_HOST = sim.url;
    const store = new FileStore({ dir: tempDir() });
    const { workflow, modulePath } = await loadWorkflow(fileURLToPath(new URL('./fixtures/steps.workflow.ts', import.meta.url)));
    const events: WorkerEvent[] = [];
    const worker = startWorker({ store, pollMs: 50, onEvent: (event) => events.push(event) });
    try {
      const runId = await submitRun({ store, workflow, modulePath, input: { question: 'q' } });
      await eventually(() => events.some((e) => e.type === 'refuse' && e.runId === runId), 10_000);
      const refusal = events.find((e) => e.type === 'refuse');
      expect(refusal?.type === 'refuse' && refusal.message).toMatch(/qwen2\.5-coder:7b/);
      expect(sim.stats().completed).toBe(0); // nothing was paid
      expect((await store.read(runId)).journal).toEqual([]);
    } finally {
      await worker.stop();
      if (hostBefore === undefined) delete process.env.OLLAMA_HOST;
      else process.env.OLLAMA_HOST = hostBefore;
    }
  });
});
