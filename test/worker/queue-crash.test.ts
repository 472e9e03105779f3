// Three `harness worker --queue` processes drive 30 feature-pipeline runs; one is SIGKILLed mid-run. Every run
// finishes once, as an uninterrupted run does, and no journaled call is paid twice.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isCallEntry } from '../../src/steps/services.ts';
import pipeline from '../../machines/feature-pipeline.ts';
import { connectStore } from '../../src/cli/store-url.ts';
import { hasCode } from '../../src/errors.ts';
import { runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { MemoryStore } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { parseQueueUrl, RunQueue } from '../../src/worker/queue/index.ts';
import { start } from '../cli/harness.ts';
import { dropSchema, freshSchema, localPostgresUrl, postgresMissing } from '../helpers/postgres.ts';
import { dropPrefix, freshPrefix, localRedisUrl, queueUrl, redisMissing } from '../helpers/redis.ts';
import { accountCalls } from './accounting.ts';
import { repoRoot, until } from './helpers.ts';
import { inputOf, pipelineModel } from './pipeline-model.ts';

const missing = [await postgresMissing(), await redisMissing()].filter((m): m is string => m !== null);
const skip = missing.length > 0 && !process.env.CI;
if (skip) console.log(`queue crash test skipped: ${missing.join('; ')} (${localPostgresUrl}, ${localRedisUrl}); CI is not set`);

const modulePath = join(repoRoot, 'machines/feature-pipeline.ts');
const runCount = 30;
/** A plan naming the run (`#n` from the feature), so every later prompt of a run differs from every other run's. */
const savedHost = process.env.OLLAMA_HOST;
const sims: Simulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  if (savedHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = savedHost;
});

/** Sends APPROVE to each run waiting for a person (driving it to the end here, as `harness send` does). */
async function approveWaiting(store: Awaited<ReturnType<typeof connectStore>>, approved: Set<string>): Promise<void> {
  const { runs } = await store.list();
  const waiting = runs.filter((r) => r.status === 'waiting' && (r.wakeAt ?? null) === null && !approved.has(r.runId));
  await Promise.all(
    waiting.map(async ({ runId }) => {
      try {
        await sendToRun({ store, runId, workflow: pipeline, cwd: repoRoot, event: { type: 'APPROVE', by: 'test' } });
        approved.add(runId);
      } catch (error) {
        if (!hasCode(error, 'RUN_LOCKED')) throw error; // a worker still closing its session: next round
      }
    }),
  );
}

describe.skipIf(skip)('queue workers under a SIGKILL', { timeout: 150_000 }, () => {
  it('three workers drive 30 pipeline runs while one is killed: each finishes once, as uninterrupted, each call paid once', async () => {
    const latency = { ttftMs: 30, perTokenMs: 0 };
    // The uninterrupted runs, in this process on a simulator of their own (kept out of the accounting).
    const refSim = await startSimulator({ seed: 3, numParallel: 8, latency, script: { '*': pipelineModel([]) } });
    sims.push(refSim);
    process.env.OLLAMA_HOST = refSim.url;
    const memory = new MemoryStore();
    const expected = new Map<string, unknown>();
    await Promise.all(
      Array.from({ length: runCount }, async (_, i) => {
        const waiting = await runWorkflow({ store: memory, workflow: pipeline, modulePath, input: inputOf(i), runId: `ref-${i}` });
        const done = await sendToRun({ store: memory, runId: waiting.runId, workflow: pipeline, event: { type: 'APPROVE', by: 'test' } });
        expected.set(`run-${i}`, done.output);
      }),
    );

    const log: { hash: string; at: number }[] = [];
    const sim = await startSimulator({ seed: 3, numParallel: 16, latency, script: { '*': pipelineModel(log) } });
    sims.push(sim);
    process.env.OLLAMA_HOST = sim.url;
    const schema = freshSchema();
    const prefix = freshPrefix();
    const storeUrl = `${localPostgresUrl}${localPostgresUrl.includes('?') ? '&' : '?'}schema=${schema}`;
    const qUrl = queueUrl(prefix);
    const store = await connectStore(storeUrl);
    const queue = await RunQueue.connect(parseQueueUrl(qUrl) ?? expect.unreachable());
    const args = ['worker', '--store', storeUrl, '--queue', qUrl, '--takeover-ms', '2000', '--sweep-ms', '1000', '--concurrency', '4'];
    const workers = [0, 1, 2].map(() => start(args, { ollamaHost: sim.url, snapshots: '/nonexistent-snapshots' }));
    try {
      const ids = Array.from({ length: runCount }, (_, i) => `run-${i}`);
      for (const [i, runId] of ids.entries()) {
        await submitRun({ store, workflow: pipeline, modulePath, input: inputOf(i), runId, cwd: repoRoot });
        await queue.enqueue(runId, { fresh: true });
      }

      // The victim: a worker holding a run it has not left yet, killed a random moment later.
      const inHand = (out: string) => {
        const held = new Set([...out.matchAll(/^take +(\S+)/gm)].map((m) => m[1] ?? ''));
        for (const m of out.matchAll(/^leave +(\S+)/gm)) held.delete(m[1] ?? '');
        return [...held];
      };
      const victim = Math.floor(Math.random() * workers.length);
      const victimProc = workers[victim] ?? expect.unreachable();
      await until(() => (inHand(victimProc.stdout()).length > 0 ? true : undefined), 30_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 150)));
      victimProc.child.kill('SIGKILL');
      const killedAt = Date.now();
      const orphans = inHand(victimProc.stdout());
      expect(orphans.length).toBeGreaterThan(0);

      const approved = new Set<string>();
      const records = await until(async () => {
        await approveWaiting(store, approved);
        const all = await Promise.all(ids.map((id) => store.read(id)));
        return all.every((r) => ['done', 'failed', 'flagged', 'cancelled'].includes(r.status)) ? all : undefined;
      }, 120_000);

      // Every run done once, with the uninterrupted run's output.
      for (const record of records) {
        expect(record.status, `${record.runId}: ${record.flags.join('; ')}`).toBe('done');
        expect(record.output).toEqual(expected.get(record.runId));
        const dones = (await store.history(record.runId)).filter((h) => h.status === 'done');
        expect(dones, record.runId).toHaveLength(1);
        const keys = record.journal.map((e) => e.key);
        expect(new Set(keys).size, `${record.runId}: duplicate journal keys`).toBe(keys.length);
      }
      // The victim's runs were taken over by a live worker.
      const survivors = workers.filter((_, i) => i !== victim).map((w) => w.stdout()).join('');
      for (const runId of orphans) expect(survivors).toMatch(new RegExp(`^take +${runId}$`, 'm'));

      // Accounting: a call journaled is never asked again; a call paid twice was in flight at the kill.
      const { repaid, late } = accountCalls(records, log, killedAt);
      expect(late, 'calls asked again after they were journaled').toEqual([]);
      const journal = records.flatMap((r) => r.journal).filter(isCallEntry); // kept fan-out outputs are no requests
      expect(repaid).toBeLessThanOrEqual(4 * 2); // at most the victim's runs × two calls each in flight
      console.log(`queue crash: killed worker ${victim} holding ${orphans.length} run(s); ${log.length} requests, ${journal.length} journaled, ${repaid} repaid`);
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
      const results = await Promise.all(workers.map((w) => w.done));
      await queue.close();
      await store.end();
      await dropPrefix(prefix);
      await dropSchema(localPostgresUrl, schema);
      for (const r of results) if (r.signal === null) expect(r.code, r.stderr).toBe(0); // the survivors stopped gracefully
    }
  });
});
