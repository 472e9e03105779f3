// Three embedded `harness worker` processes share one snapshots directory (FileStore) and drive 30 feature-pipeline
// runs; one is SIGKILLed while it holds runs, at a seeded random moment. The others take its runs over (their locks
// are stale: a dead pid on this host). Every run finishes once, as an uninterrupted run does, and no journaled call
// is paid twice: completed requests are counted at the simulator per journal request hash.
//
// Another kill schedule: EMBEDDED_CRASH_SEED=… npx vitest run test/worker/embedded-crash.test.ts
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isCallEntry } from '../../src/steps/services.ts';
import pipeline from '../../machines/feature-pipeline.ts';
import { hasCode } from '../../src/errors.ts';
import { runWorkflow, sendToRun } from '../../src/runtime/index.ts';
import { FileStore, MemoryStore, finalStatuses, type RunRecord, type RunStatus } from '../../src/store/index.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { createRandom } from '../../src/util/random.ts';
import { inProcess, start, type Env } from '../cli/harness.ts';
import { removeTempDirs, repoRoot, tempDir, until } from './helpers.ts';
import { allPairs, inputOf, pairsDirVar, pairsFile, pipelineModel, recordRequests } from './pipeline-model.ts';

const seed = Number(process.env.EMBEDDED_CRASH_SEED ?? 99);
const runCount = 30;
const module = 'machines/feature-pipeline.ts';
/** Runs each worker drives at once, and model calls each worker sends at once (HARNESS_HOST_CONCURRENCY). */
const concurrency = 4;
const hostConcurrency = 4;
const pairRequests = fileURLToPath(new URL('./pair-requests.ts', import.meta.url));

const savedHost = process.env.OLLAMA_HOST;
const sims: Simulator[] = [];
const children: ReturnType<typeof start>[] = [];
afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.allSettled(children.map((c) => c.done));
  await Promise.all(sims.map((s) => s.close()));
  if (savedHost === undefined) delete process.env.OLLAMA_HOST;
  else process.env.OLLAMA_HOST = savedHost;
  removeTempDirs();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a worker has taken up and not left yet, from its stdout. */
function inHand(out: string): string[] {
  const held = new Set([...out.matchAll(/^take +(\S+)/gm)].map((m) => m[1] ?? ''));
  for (const m of out.matchAll(/^leave +(\S+)/gm)) held.delete(m[1] ?? '');
  return [...held];
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Sends APPROVE to each run waiting for a person, driving it to the end here as `harness send` does. */
async function approveWaiting(store: FileStore, approved: Set<string>): Promise<void> {
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

describe('embedded workers under a SIGKILL', { timeout: 150_000 }, () => {
  it('three workers on one directory drive 30 pipeline runs while one is killed: each finishes once, as uninterrupted, each call paid once', async () => {
    const began = Date.now();
    const random = createRandom(seed);
    const latency = { ttftMs: 40, perTokenMs: 1 };

    // The uninterrupted runs, in this process on a simulator of their own (kept out of the accounting).
    const refSim = await startSimulator({ seed: 3, numParallel: 8, latency, script: { '*': pipelineModel([]) } });
    sims.push(refSim);
    process.env.OLLAMA_HOST = refSim.url;
    const memory = new MemoryStore();
    const expected = new Map<string, unknown>();
    await Promise.all(
      Array.from({ length: runCount }, async (_, i) => {
        const waiting = await runWorkflow({ store: memory, workflow: pipeline, modulePath: `${repoRoot}${module}`, input: inputOf(i), runId: `ref-${i}` });
        expect(waiting.status, waiting.flags.join('; ')).toBe('waiting');
        const done = await sendToRun({ store: memory, runId: waiting.runId, workflow: pipeline, event: { type: 'APPROVE', by: 'test' } });
        expect(done.status, done.flags.join('; ')).toBe('done');
        expected.set(`run-${i}`, done.output);
      }),
    );

    // The crashed runs: three worker processes, each pairing the bodies it sends with their journal request hashes.
    const arrivals: { hash: string; at: number }[] = [];
    const sim = await startSimulator({ seed: 3, numParallel: 16, latency, script: { '*': pipelineModel(arrivals) } });
    sims.push(sim);
    process.env.OLLAMA_HOST = sim.url; // the approvals, driven in this process
    const env: Env = { ollamaHost: sim.url, snapshots: tempDir() };
    const pairsDir = tempDir();
    const store = new FileStore({ dir: env.snapshots });
    const extra = {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import tsx --import ${pairRequests}`.trim(),
      [pairsDirVar]: pairsDir,
      HARNESS_HOST_CONCURRENCY: String(hostConcurrency),
    };
    const workers = [0, 1, 2].map(() => start(['worker', '--poll-ms', '100', '--concurrency', String(concurrency)], env, extra));
    children.push(...workers);
    const restoreFetch = recordRequests(pairsFile(pairsDir, process.pid));
    try {
      const ids = Array.from({ length: runCount }, (_, i) => `run-${i}`);
      for (const [i, runId] of ids.entries()) {
        const submitted = await inProcess(['submit', module, '--input', JSON.stringify(inputOf(i)), '--run-id', runId], env);
        expect(submitted.code, submitted.stderr).toBe(0);
        expect(submitted.stdout).toBe(`${runId}\n`);
      }

      // The victim: a worker holding runs it has not left yet, killed at a seeded random moment (a delay after it
      // first holds a run, spread over the runs' drives), as soon as it holds one again if it holds none then.
      const victim = Math.floor(random() * workers.length);
      const delayMs = Math.floor(random() * 1500);
      const victimProc = workers[victim] ?? expect.unreachable();
      const victimPid = victimProc.child.pid ?? expect.unreachable();
      const holding = () => (inHand(victimProc.stdout()).length > 0 ? true : undefined);
      await until(holding, 60_000);
      await sleep(delayMs);
      await until(holding, 60_000);
      const { inFlight, queued } = sim.stats(); // the whole simulator's, read in the same tick as the kill
      victimProc.child.kill('SIGKILL');
      const killedAt = Date.now();
      const victimExit = await victimProc.done;
      const deadAt = Date.now(); // the victim wrote nothing after this (its exit was seen)
      expect(victimExit.signal).toBe('SIGKILL');
      const orphans = inHand(victimExit.stdout);
      expect(orphans.length, 'the victim held no run when it was killed').toBeGreaterThan(0);
      const statusAtKill = new Map<string, RunStatus>();
      const atKill: string[] = [];
      for (const runId of orphans) {
        const record = await store.read(runId);
        statusAtKill.set(runId, record.status);
        atKill.push(`${runId}: ${record.status}, ${record.journal.length} journaled`);
      }

      const approved = new Set<string>();
      const records = await until(async () => {
        await approveWaiting(store, approved);
        const all = await Promise.all(ids.map((id) => store.read(id)));
        return all.every((r) => finalStatuses.includes(r.status)) ? all : undefined;
      }, 120_000);
      const survivors = workers.filter((_, i) => i !== victim);
      for (const w of survivors) w.child.kill('SIGTERM');
      const results = await Promise.all(survivors.map((w) => w.done));
      for (const r of results) expect(r.code, r.stderr).toBe(0); // stopped gracefully
      const survivorOut = results.map((r) => r.stdout).join('');
      const survivorErrors = results.flatMap((r) => r.stderr.split('\n').filter((l) => /^(error|refuse) /.test(l)));
      expect(survivorErrors, 'the surviving workers reported errors').toEqual([]);

      // Every run done once, with the uninterrupted run's output.
      for (const record of records) {
        expect(record.status, `${record.runId}: ${record.flags.join('; ')}`).toBe('done');
        expect(record.output, record.runId).toEqual(expected.get(record.runId));
        const dones = (await store.history(record.runId)).filter((h) => h.status === 'done');
        expect(dones, record.runId).toHaveLength(1);
        const keys = record.journal.map((e) => e.key);
        expect(new Set(keys).size, `${record.runId}: duplicate journal keys`).toBe(keys.length);
      }
      // The victim's runs were taken over: by a live worker (stale lock: dead pid), or by the approval if it waited.
      const takenOver: string[] = [];
      for (const runId of orphans) {
        const take = new RegExp(`^take +${runId} \\((orphaned|submitted)\\)$`, 'm').exec(survivorOut);
        if (take) takenOver.push(`${runId} (${take[1]})`);
        else expect(statusAtKill.get(runId), `${runId}: held by the victim, not taken over by a live worker`).toBe('waiting');
      }
      expect(takenOver.length, 'no run of the victim was taken over by a live worker').toBeGreaterThan(0);

      // Accounting. Every completed request, named by its journal request hash (each process paired the bodies it sent).
      const byPid = allPairs(pairsDir);
      const bodies = new Map<number, string>();
      for (const pair of [...byPid.values()].flat()) {
        const known = bodies.get(pair.body);
        if (known !== undefined) expect(known, `body ${pair.body} paired with two request hashes`).toBe(pair.request);
        bodies.set(pair.body, pair.request);
      }
      const completed = sim.log();
      const hashOf = (bodyHash: number) => bodies.get(bodyHash) ?? expect.unreachable(`a completed request (body ${bodyHash}) no process paired`);
      const paid = countBy(completed, (c) => hashOf(c.bodyHash));
      const journal = records.flatMap((r: RunRecord) => r.journal).filter(isCallEntry); // kept fan-out outputs are no requests
      const journaled = countBy(journal, (e) => e.requestHash);
      // What the kill may cost again: requests the victim sent whose results it had not journaled when it died.
      const victimSent = countBy(byPid.get(victimPid) ?? [], (p) => p.request);
      const journaledBeforeDeath = countBy(journal.filter((e) => Date.parse(e.at) <= deadAt), (e) => e.requestHash);
      const allowed = new Map<string, number>();
      for (const [hash, sent] of victimSent) {
        const lost = sent - (journaledBeforeDeath.get(hash) ?? 0);
        expect(lost, `request ${hash}: journaled more often than the victim sent it before it died`).toBeGreaterThanOrEqual(0);
        if (lost > 0) allowed.set(hash, lost);
      }
      const allowedTotal = [...allowed.values()].reduce((a, b) => a + b, 0);
      // The victim had at most `hostConcurrency` requests on the wire, plus replies received but not yet journaled.
      expect(allowedTotal).toBeLessThanOrEqual(hostConcurrency + concurrency);

      let repaid = 0;
      for (const [hash, n] of paid) {
        const extraPaid = n - (journaled.get(hash) ?? 0);
        expect(extraPaid, `request ${hash} completed ${n} times, journaled ${journaled.get(hash) ?? 0}`).toBeGreaterThanOrEqual(0);
        expect(extraPaid, `request ${hash} paid ${extraPaid} time(s) more than journaled, not in flight at the kill`).toBeLessThanOrEqual(allowed.get(hash) ?? 0);
        if (extraPaid > 0) {
          const first = Math.min(...completed.filter((c) => hashOf(c.bodyHash) === hash).map((c) => c.receivedAt));
          expect(first, `request ${hash} paid twice, first sent after the kill`).toBeLessThanOrEqual(deadAt);
        }
        repaid += extraPaid;
      }
      for (const hash of journaled.keys()) expect(paid.has(hash), `journal entry ${hash} matches no completed request`).toBe(true);
      // A call journaled is never asked again (by arrival at the simulator, whether or not it completed).
      for (const entry of journal) {
        expect(arrivals.some((a) => a.hash === entry.requestHash), `${entry.key}: never arrived at the simulator`).toBe(true);
        const later = arrivals.filter((a) => a.hash === entry.requestHash && a.at > Date.parse(entry.at));
        expect(later, `${entry.key} asked again after it was journaled`).toEqual([]);
      }

      console.log(
        `embedded crash (seed ${seed}): killed worker ${victim} (pid ${victimPid}) ${delayMs} ms after it held a run, ` +
          `${deadAt - killedAt} ms to its exit; it held ${orphans.length} run(s) [${atKill.join('; ')}], ` +
          `taken over by live workers: ${takenOver.join(', ')}; simulator in flight ${inFlight}, queued ${queued} at the kill; ` +
          `${runCount} runs done, ${arrivals.length} requests arrived, ${completed.length} completed, ${sim.stats().disconnects} disconnects, ` +
          `${journal.length} journal entries; repeats allowed ${allowedTotal}, seen ${repaid}; ${Date.now() - began} ms`,
      );
    } finally {
      restoreFetch();
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
      await Promise.allSettled(workers.map((w) => w.done));
    }
  });
});
