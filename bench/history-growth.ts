// historyBytesPerStep: what a commit adds to history.ndjson in a run whose context keeps every result (one 1 KB item
// per model step, as an agent's transcript or a list of findings does), at step 1,000 against step 10. Copies of the
// checkpoint make it grow with the step (≈ 100×); changes keep it flat. pgHistoryBytesPerStep: the same run on
// PostgreSQL (its checkpoints table), where a server answers at HARNESS_TEST_PG_URL or the local default.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { HostPool } from '../src/llm/pool.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { defineWorkflow, modelStep, stepGuards } from '../src/steps/index.ts';
import { FileStore, type RunRecord } from '../src/store/index.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { startSimulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { benchModel } from './chain.ts';
import { progress, tempDir, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';

/** The item a step keeps: 1,024 bytes of JSON string, different each step. */
const itemOf = (n: number): string => `result ${n} `.padEnd(1022, '.');

function growingWorkflow(host: string) {
  const ask = modelStep({
    id: 'ask',
    prompt: (input: { n: number }) => [{ role: 'user', content: `Give fact #${input.n} about rivers.` }],
    ladder: [benchModel],
    maxRetries: 0,
    config: { host, timeoutMs: 60_000 },
  });
  const machine = setup({
    types: { context: {} as { items: string[]; limit: number }, input: {} as { steps: number } },
    actors: { ask },
    guards: { ...stepGuards, more: ({ context }) => context.items.length < context.limit },
  }).createMachine({
    id: 'bench-growing',
    context: ({ input }) => ({ items: [], limit: input.steps }),
    initial: 'asking',
    states: {
      asking: {
        invoke: {
          src: 'ask',
          input: ({ context }) => ({ n: context.items.length }),
          onDone: { target: 'counting', actions: assign({ items: ({ context }) => [...context.items, itemOf(context.items.length)] }) },
          onError: 'done',
        },
      },
      counting: { always: [{ guard: 'more', target: 'asking' }, { target: 'done' }] },
      done: { type: 'final' },
    },
  });
  return defineWorkflow({ id: 'bench-growing', input: z.object({ steps: z.number().int().min(1) }), machine });
}

const stepsOf = (record: RunRecord): number => {
  const context = record.snapshot?.['context'];
  const items = typeof context === 'object' && context !== null && 'items' in context ? context.items : undefined;
  return Array.isArray(items) ? items.length : 0;
};

const pgUrl = process.env.HARNESS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A client on the bench's PostgreSQL, or why there is none. */
async function pgClient(): Promise<pg.Client | string> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    return error instanceof Error ? error.message : String(error);
  }
}

/** Bytes per step at n: what the steps from n/2 to n added, per step (a whole checkpoint now and then included). */
const perStepAt = (sizeAt: ReadonlyMap<number, number>, n: number): number => ((sizeAt.get(n) ?? 0) - (sizeAt.get(n / 2) ?? 0)) / (n / 2);

/** History bytes stored in PostgreSQL by the time each call count was first kept (its journal_count). */
async function pgSizes(client: pg.Client, schema: string, runId: string): Promise<Map<number, number>> {
  const { rows } = await client.query<{ calls: number; bytes: string }>(
    `SELECT journal_count AS calls, sum(coalesce(length(checkpoint::text), 0) + coalesce(length(delta::text), 0)) OVER (ORDER BY seq) AS bytes
       FROM "${schema}".checkpoints WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
  const sizeAt = new Map<number, number>();
  for (const row of rows) if (!sizeAt.has(row.calls)) sizeAt.set(row.calls, Number(row.bytes));
  return sizeAt;
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const steps = quick ? 200 : 1_000;
  const early = 10;
  const sim = await startSimulator({ seed: 6 });
  const scratch = tempDir('history');
  try {
    const store = new FileStore({ dir: scratch.dir });
    const workflow = growingWorkflow(sim.url);
    const ratios: number[] = [];
    const earlyBytes: number[] = [];
    const lateBytes: number[] = [];
    let finalKiB = 0;
    for (let rep = 0; rep < 3; rep++) {
      const runId = `growing-${rep}`;
      const history = join(scratch.dir, runId, 'history.ndjson');
      // History size at the first checkpoint that holds n items, for every n.
      const sizeAt = new Map<number, number>();
      const onCheckpoint = (record: RunRecord) => {
        const n = stepsOf(record);
        if (!sizeAt.has(n)) sizeAt.set(n, statSync(history).size);
      };
      progress('history', `run ${rep + 1}/3: ${steps} model steps, each keeping a 1 KB item in context`);
      const record = await runWorkflow({ store, workflow, modulePath: chainModule, input: { steps }, runId, limiter: new HostPool(1), onCheckpoint });
      if (record.status !== 'done' || stepsOf(record) !== steps) throw new Error(`growing run ended ${record.status} after ${stepsOf(record)} steps`);
      const perStep = (n: number) => perStepAt(sizeAt, n);
      earlyBytes.push(perStep(early));
      lateBytes.push(perStep(steps));
      ratios.push(perStep(steps) / perStep(early));
      finalKiB = statSync(history).size / 1024;
    }
    const pgFigures: BenchResult['figures'] = {};
    const notes: string[] = [];
    const client = await pgClient();
    if (typeof client === 'string') notes.push(`pgHistoryBytesPerStep: not measured, no PostgreSQL at ${pgUrl} (${client}); set HARNESS_TEST_PG_URL`);
    else {
      const schema = `harness_bench_${randomBytes(4).toString('hex')}`;
      const pgStore = new PostgresStore({ url: pgUrl, schema });
      try {
        const pgRatios: number[] = [];
        const pgEarly: number[] = [];
        const pgLate: number[] = [];
        for (let rep = 0; rep < 3; rep++) {
          const runId = `growing-pg-${rep}`;
          progress('history', `PostgreSQL run ${rep + 1}/3: ${steps} model steps, each keeping a 1 KB item in context`);
          const record = await runWorkflow({ store: pgStore, workflow, modulePath: chainModule, input: { steps }, runId, limiter: new HostPool(1) });
          if (record.status !== 'done' || stepsOf(record) !== steps) throw new Error(`growing run on PostgreSQL ended ${record.status} after ${stepsOf(record)} steps`);
          const sizeAt = await pgSizes(client, schema, runId);
          pgEarly.push(perStepAt(sizeAt, early));
          pgLate.push(perStepAt(sizeAt, steps));
          pgRatios.push(perStepAt(sizeAt, steps) / perStepAt(sizeAt, early));
        }
        pgFigures['pgHistoryBytesPerStep'] = figure(pgRatios, {
          unit: 'ratio',
          goal: { op: '<=', target: 1.5 },
          measure: `PostgreSQL checkpoints-table bytes per step at step ${steps} ÷ at step ${early}, the same run`,
          baselines: pgEarly,
          candidates: pgLate,
        });
      } finally {
        await pgStore.end();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        await client.end();
      }
    }
    return {
      figures: {
        ...pgFigures,
        historyBytesPerStep: figure(ratios, {
          unit: 'ratio',
          goal: { op: '<=', target: 1.5 },
          measure: `history.ndjson bytes per step at step ${steps} ÷ at step ${early} (each: bytes added from n/2 to n, per step), context +1 KB per step`,
          baselines: earlyBytes,
          candidates: lateBytes,
        }),
      },
      notes: [
        ...notes,
        `historyBytesPerStep: baseline and candidate columns are bytes per step at step ${early} and at step ${steps}; history.ndjson ${finalKiB.toFixed(0)} KiB after ${steps} steps (context ≈ ${steps} KiB).`,
      ],
    };
  } finally {
    await sim.close();
    scratch.remove();
  }
}
