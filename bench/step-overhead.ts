// Benchmark 3: what one model step costs on top of its model call: run file, lock, actor, journal and checkpoints.
import { Ollama } from 'ollama';
import { formatSchema } from '../src/llm/index.ts';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { FileStore } from '../src/store/index.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { differenceRow, type BenchResult } from './report.ts';
import { interleave, median } from './stats.ts';
import { answerSchema, benchModel, oneStepWorkflow, workflowsModule } from './workflows.ts';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sim = await startSimulator({ seed: 3 });
  const plain = tempDir('step');
  const durable = tempDir('step-fsync');
  try {
    const workflow = oneStepWorkflow(sim.url);
    const question = 'What is the capital of France?';
    const pool = new HostPool(1);
    const stores = { plain: new FileStore({ dir: plain.dir }), durable: new FileStore({ dir: durable.dir, fsync: true }) };
    let runs = 0;
    const step = (store: FileStore) => async () => {
      // Our own ids: generated ones carry 16 random bits per second, and collide at this rate of runs.
      const runId = `step-${++runs}`;
      const record = await runWorkflow({ store, workflow, modulePath: workflowsModule, input: { question }, pool, runId });
      if (record.status !== 'done') throw new Error(`run ended ${record.status}: ${record.flags.join('; ')}`);
    };
    const fns = {
      // The same request the step sends: same prompt, the step's schema as `format`, the same options.
      raw: async () => {
        const stream = await new Ollama({ host: sim.url }).chat({
          model: benchModel,
          messages: [{ role: 'user', content: question }],
          stream: true,
          format: formatSchema(answerSchema),
          options: { num_predict: 1024, temperature: 0 },
        });
        for await (const part of stream) void part;
      },
      step: step(stores.plain),
      stepFsync: step(stores.durable),
    };
    const rounds = quick ? 60 : 200;
    progress('step', `warm-up 20 rounds, then ${rounds} interleaved rounds (raw call, one-step run, one-step run with fsync)`);
    await interleave(20, fns);
    const s = await interleave(rounds, fns);
    return {
      rows: [
        differenceRow('3 step', 'one-step run (runWorkflow + FileStore) vs raw call, median', median(s.raw), median(s.step), 1),
        differenceRow('3 step', 'the same with fsync on (info)', median(s.raw), median(s.stepFsync), null),
      ],
      notes: [
        `3 step: ${rounds} sequential runs each; a run creates its run file and lock, drives the machine (journal write + ` +
          `checkpoints, coalesced) and closes; zero-latency simulator, schema-checked reply.`,
      ],
    };
  } finally {
    await sim.close();
    plain.remove();
    durable.remove();
  }
}
