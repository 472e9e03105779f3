// Chaos on BullMQ + PostgreSQL: three `harness worker --queue` processes drive 200 runs (180 of two model steps, 20
// waiting for a sign-off that expires) while a worker is SIGKILLed (twice), one is frozen (SIGSTOP) until its runs are
// taken over, Redis crashes and comes back empty, and PostgreSQL crashes and restarts — on throwaway servers of their
// own. Every run ends once, no journaled call is paid again (but, at most once a run, by the frozen worker as it
// wakes), and BullMQ's own log shows that no fresh run was handed out while a run under way (a takeover, a wake-up, a
// run put off) waited. The milliseconds of a takeover are the bench's (takeoverP95Ms), not asserted here.
import { afterAll, describe, expect, it } from 'vitest';
import { isCallEntry } from '../../src/steps/services.ts';
import { connectStore, type UrlStore } from '../../src/cli/store-url.ts';
import { hasCode } from '../../src/errors.ts';
import { loadWorkflow } from '../../src/runtime/index.ts';
import { submitRun } from '../../src/runtime/runs.ts';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { parseQueueUrl, RunQueue } from '../../src/worker/queue/index.ts';
import { start } from '../cli/harness.ts';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/postgres.ts';
import { queueUrl, startThrowawayRedis, type ThrowawayRedis } from '../helpers/redis.ts';
import { accountCalls, type Paid } from './accounting.ts';
import { expiringModule, repoRoot, stepsModule, until } from './helpers.ts';
import { simRequestHash } from './pipeline-model.ts';
import { queueOrder, recordQueue, type QueueLog } from './queue-order.ts';

// Throwaway servers need PostgreSQL's binaries and redis-server; the test says why it skips without them (not in CI).
const missing = await (async () => {
  try {
    const pg = await startThrowawayPostgres();
    await pg.remove();
    const redis = await startThrowawayRedis();
    await redis.remove();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
})();
const skip = missing !== null && !process.env.CI;
if (skip) console.log(`queue chaos test skipped: cannot start throwaway PostgreSQL and Redis (${missing}); CI is not set`);

const runCount = 200;
/** Each call waits this long at the simulator: 180 runs of two calls keep 12 slots busy for about a minute. */
const callMs = 1_200;
const takeoverMs = 2_000;
const outageMs = 3_000;

const sims: Simulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

type Proc = ReturnType<typeof start>;
const runIdOfJob = (jobId: string) => jobId.replace(/^run\./, '');
const takes = (text: string) => [...text.matchAll(/^take +(\S+)/gm)].map((m) => m[1] ?? '');
/** The runs a worker has taken and neither left nor put off (a fenced or killed drive does neither). */
function inHand(proc: Proc): string[] {
  const held = new Set<string>();
  for (const [, verb, runId] of proc.stdout().matchAll(/^(take|leave|later|skip) +(\S+)/gm)) {
    if (verb === 'take') held.add(runId ?? '');
    else held.delete(runId ?? '');
  }
  return [...held];
}
/** Polls quietly through an outage: the test's own store sees PostgreSQL go away too. */
const unlessDown = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await read();
  } catch (error) {
    if (hasCode(error, 'STORE_UNAVAILABLE')) return undefined;
    throw error;
  }
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(skip)('queue workers under chaos (throwaway PostgreSQL and Redis)', { timeout: 600_000 }, () => {
  it('kills, a freeze, Redis and PostgreSQL restarts: every run ends once, nothing re-paid, takeovers never queued behind fresh runs', async () => {
    // One simulator per worker process, all answering alike and logging to one list: a request says who sent it.
    const requests: Paid[] = [];
    const simFor = async (by: number) => {
      const sim = await startSimulator({
        seed: 9,
        numParallel: 8,
        latency: { ttftMs: callMs },
        script: {
          '*': (req) => {
            requests.push({ hash: simRequestHash(req), at: Date.now(), by });
            return JSON.stringify({ answer: `re ${req.messages.at(-1)?.content ?? ''}` });
          },
        },
      });
      sims.push(sim);
      return sim;
    };
    let pg: ThrowawayPostgres | undefined;
    let redis: ThrowawayRedis | undefined;
    let store: UrlStore | undefined;
    let log: QueueLog | undefined;
    const procs: Proc[] = [];
    try {
      // Five worker pools of 10 and the test's own; a transaction left open by the frozen worker is ended by the
      // server (as it should be in production), or it would hold its run's row until the worker wakes.
      pg = await startThrowawayPostgres({ max_connections: '100', idle_in_transaction_session_timeout: '5s' });
      redis = await startThrowawayRedis();
      const storeUrl = `${pg.url}?schema=chaos`;
      const qUrl = queueUrl('chaos', redis.url);
      const target = parseQueueUrl(qUrl) ?? expect.unreachable();
      store = await connectStore(storeUrl);
      log = await recordQueue(target);

      // The backlog: every run submitted and queued (fresh) before a worker starts. One in ten waits 300 ms for a
      // sign-off that never comes: its wake-up, a delayed job, falls due while fresh runs are queued.
      const steps = await loadWorkflow(stepsModule);
      const signOff = await loadWorkflow(expiringModule);
      const ids = Array.from({ length: runCount }, (_, i) => `chaos-${i}`);
      const waits = (runId: string) => ids.indexOf(runId) % 10 === 5;
      const queue = await RunQueue.connect(target);
      for (const [i, runId] of ids.entries()) {
        if (waits(runId)) await submitRun({ store, ...signOff, input: {}, runId, cwd: repoRoot });
        else await submitRun({ store, ...steps, input: { question: `q${i}` }, runId, cwd: repoRoot });
        await queue.enqueue(runId, { fresh: true });
      }
      await queue.close();

      const args = ['worker', '--store', storeUrl, '--queue', qUrl, '--takeover-ms', String(takeoverMs), '--sweep-ms', '1000', '--concurrency', '4'];
      const spawnWorker = async () => {
        const sim = await simFor(procs.length);
        const proc = start(args, { ollamaHost: sim.url, snapshots: '/nonexistent-snapshots' });
        procs.push(proc);
        return proc;
      };
      const [first, second, third] = [await spawnWorker(), await spawnWorker(), await spawnWorker()];
      if (!first || !second || !third) expect.unreachable();
      const everyTake = () => new Set(procs.flatMap((p) => takes(p.stdout())));
      /** Where each worker's output stood: what the others print after it is what they did after a disruption. */
      const mark = () => new Map(procs.map((p) => [p, p.stdout().length]));
      const takenByOthersSince = (proc: Proc, since: Map<Proc, number>) =>
        new Set(procs.filter((p) => p !== proc).flatMap((p) => takes(p.stdout().slice(since.get(p) ?? 0))));
      /** Every run taken by another worker since `since`, or finished (a victim may die between a run's last write and its `leave`). */
      const settledElsewhere = (proc: Proc, runs: string[], since: Map<Proc, number>) => async () => {
        const others = takenByOthersSince(proc, since);
        const open = runs.filter((id) => !others.has(id));
        const records = await unlessDown(() => Promise.all(open.map((id) => (store ?? expect.unreachable()).read(id))));
        return records?.every((r) => ['done', 'failed', 'flagged', 'cancelled'].includes(r.status)) ? true : undefined;
      };
      const disruptions: number[] = [];
      const kills: { orphans: string[]; backlog: number }[] = [];

      const alive = () => procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
      /**
       * SIGKILLs the first of `candidates` seen holding runs, starts a replacement, and waits until every orphan is
       * taken again. Which worker holds runs late in the test is the queue's choice (on a slow machine one worker may
       * hold none for minutes), so the last kill takes any live worker that does.
       */
      const kill = async (candidates: () => Proc[]) => {
        const victim = await until(() => candidates().find((p) => inHand(p).length > 0), 300_000);
        victim.child.kill('SIGKILL');
        disruptions.push(Date.now());
        const since = mark();
        const orphans = inHand(victim);
        kills.push({ orphans, backlog: ids.filter((id) => !everyTake().has(id)).length });
        await spawnWorker();
        await until(settledElsewhere(victim, orphans, since), 120_000);
      };

      // 1. A kill with the whole backlog queued.
      await kill(() => [first]);

      // 2. A freeze past the takeover time: its runs go to live workers; thawed, its stale drives are fenced.
      await until(() => (inHand(second).length > 0 ? true : undefined), 120_000);
      second.child.kill('SIGSTOP');
      disruptions.push(Date.now());
      const frozenAt = mark();
      const frozen = inHand(second);
      await until(settledElsewhere(second, frozen, frozenAt), 120_000);
      second.child.kill('SIGCONT');
      const thawedAt = Date.now();

      // 3. Redis crashes and comes back empty: the workers' sweeps queue every run that needs a job again.
      const takenBeforeCrash = everyTake();
      await redis.crash();
      disruptions.push(Date.now());
      log.forget();
      await pause(outageMs);
      await redis.start();

      // 4. PostgreSQL crashes (immediate shutdown) once runs move again, and restarts on the same data.
      const leftSoFar = () => procs.reduce((n, p) => n + (p.stdout().match(/^leave +\S+ done/gm)?.length ?? 0), 0);
      const progressed = leftSoFar();
      await until(() => (leftSoFar() >= progressed + 5 ? true : undefined), 120_000);
      await pg.crash();
      disruptions.push(Date.now());
      await pause(outageMs);
      await pg.start();

      // 5. Another kill once runs move again.
      const moving = leftSoFar();
      await until(() => (leftSoFar() >= moving + 5 ? true : undefined), 120_000);
      await kill(alive);

      const records = await until(async () => {
        const all = await unlessDown(() => Promise.all(ids.map((id) => (store ?? expect.unreachable()).read(id))));
        return all?.every((r) => ['done', 'failed', 'flagged', 'cancelled'].includes(r.status)) ? all : undefined;
      }, 300_000);

      // Every run done once, as the workflow does uninterrupted: two answers, or the sign-off expired; nothing blocked.
      for (const record of records) {
        expect(record.status, `${record.runId}: ${record.error ?? record.flags.join('; ')}`).toBe('done');
        const question = `q${ids.indexOf(record.runId)}`;
        if (waits(record.runId)) expect(record.snapshot?.['value'], record.runId).toBe('expired');
        else expect(record.output, record.runId).toEqual({ answers: [`re first: ${question}`, `re second: ${question}`] });
        expect(record.blocked).toBeUndefined();
        const dones = (await store.history(record.runId)).filter((h) => h.status === 'done');
        expect(dones, record.runId).toHaveLength(1);
      }

      // Nothing re-paid: a call paid more often than journaled was first sent before a disruption (in flight when its
      // worker died, froze or lost its store). A journaled call is never asked again, but by the frozen worker as it
      // woke: a drive sends its next call before its next write, which the store refuses — at most one per run.
      const { repaid, late } = accountCalls(records, requests, Math.max(...disruptions));
      const frozenIndex = procs.indexOf(second);
      expect(late.filter((r) => r.by !== frozenIndex || r.at < thawedAt), 'calls asked again after they were journaled').toEqual([]);
      expect(late.length).toBeLessThanOrEqual(frozen.length);
      const journal = records.flatMap((r) => r.journal).filter(isCallEntry); // kept fan-out outputs are no requests
      // At most one call in flight per run held: 4 per kill and per freeze (and one more as it wakes), 12 when the
      // store went away.
      expect(repaid).toBeLessThanOrEqual(4 * kills.length + 8 + 12);

      // Takeovers: each victim's runs were taken by live workers; the first kill had the backlog still queued.
      expect(kills[0]?.backlog).toBeGreaterThanOrEqual(150);
      // The frozen worker, thawed, was refused by the store (FENCED) for every run taken from it: it never left one.
      const takenFromFrozen = frozen.filter((id) => takenByOthersSince(second, frozenAt).has(id));
      // Until it takes that run afresh (a later offer, after the takeover's drive ended): then leaving it is its own drive.
      const sinceFreeze = second.stdout().slice(frozenAt.get(second) ?? 0);
      for (const id of takenFromFrozen) {
        const retaken = sinceFreeze.search(new RegExp(`^take +${id}$`, 'm'));
        expect(retaken < 0 ? sinceFreeze : sinceFreeze.slice(0, retaken)).not.toMatch(new RegExp(`^leave +${id} `, 'm'));
      }
      // BullMQ's own log: while a run under way waited (a stalled job put back, a wake-up or put-off job due), no
      // fresh run was handed out; after Redis lost its jobs, runs taken before the crash count as under way.
      const order = queueOrder(log.events, (jobId) => takenBeforeCrash.has(runIdOfJob(jobId)));
      expect(order.inversions).toEqual([]);
      expect(order.underWay).toBeGreaterThan(0); // at least the killed workers' stalled jobs were put back
      console.log(
        `queue chaos: ${runCount} runs; kills with ${kills.map((k) => `${k.orphans.length} orphan(s), ${k.backlog} queued`).join('; ')}; ` +
          `${frozen.length} frozen run(s), ${takenFromFrozen.length} taken over, ${late.length} call(s) sent by it as it woke; ${requests.length} requests, ${journal.length} journaled, ${repaid} repaid; ` +
          `${order.underWay} time(s) a run under way waited in BullMQ, never behind a fresh run`,
      );
    } finally {
      for (const p of procs) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        p.child.kill('SIGCONT');
        p.child.kill('SIGKILL');
      }
      await Promise.all(procs.map((p) => p.done));
      await log?.close();
      await store?.end();
      await redis?.remove();
      await pg?.remove();
    }
  });
});
