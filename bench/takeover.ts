// takeoverMs: from a SIGKILL of the worker driving a run to another worker driving it, nothing else queued.
// takeoverP95Ms: the same for every run of a killed worker while 150 fresh runs stay queued and all 12 slots of three
// workers turn over: the 95th percentile over the orphans of several kills, beside takeoverMs measured in the same rep.
import { loadavg } from 'node:os';
import { startSimulator } from '../src/testing/index.ts';
import { progress, type BenchOptions } from './env.ts';
import { scratch, startWorkerProc, stopAll, type WorkerProc } from './queue-procs.ts';
import { figure, type BenchResult } from './report.ts';
import { median, percentile } from './stats.ts';

const takeoverKnob = 2_000;
const bound = 1.5 * takeoverKnob + 1_000;
const backlogSize = 150;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGKILL of the driving worker (mid-call, on a slow simulator) → the other worker's `take` of it, ms. */
async function takeover(ollamaHost: string): Promise<number> {
  const s = await scratch();
  const procs = [0, 1].map(() => startWorkerProc(s.storeUrl, s.queueUrl, ollamaHost, ['--takeover-ms', String(takeoverKnob)]));
  try {
    await Promise.all(procs.map((p) => p.ready));
    const runId = await s.submit('takeover');
    let holder = -1;
    let killedAt = 0;
    const retaken = new Promise<number>((resolve) => {
      procs.forEach((p, i) =>
        p.onLine((line) => {
          if (!/^take +takeover$/.test(line)) return;
          if (holder === -1) {
            holder = i;
            killedAt = performance.now();
            p.child.kill('SIGKILL');
          } else if (i !== holder) resolve(performance.now() - killedAt);
        }),
      );
    });
    await s.queue.enqueue(runId, { fresh: true });
    return await retaken;
  } finally {
    await stopAll(procs, 'SIGKILL'); // the survivor is mid-call on the slow simulator: no graceful wait
    await s.remove();
  }
}

interface BacklogTakeovers {
  /** ms from each kill to each of the victim's runs driven by another worker. */
  samples: number[];
  /** Fresh runs queued at the kills (the least of them). */
  minBacklog: number;
}

/**
 * Three workers × concurrency 4 drain one-step runs (a call of ~1 s each) while a refiller keeps 150 fresh runs queued;
 * `kills` times a worker holding runs is SIGKILLed, each of its runs is timed until another worker takes it, and a
 * replacement is started.
 */
async function takeoverUnderBacklog(ollamaHost: string, kills: number): Promise<BacklogTakeovers> {
  const s = await scratch();
  const procs: WorkerProc[] = [];
  const orphans = new Map<string, { since: number; victim: WorkerProc }>();
  const samples: number[] = [];
  let allRetaken: () => void = () => undefined;
  const settle = (runId: string, by: WorkerProc, sample: boolean) => {
    const orphan = orphans.get(runId);
    if (!orphan || orphan.victim === by) return;
    if (sample) samples.push(performance.now() - orphan.since);
    orphans.delete(runId);
    if (orphans.size === 0) allRetaken();
  };
  const spawnWorker = () => {
    const proc = startWorkerProc(s.storeUrl, s.queueUrl, ollamaHost, ['--takeover-ms', String(takeoverKnob), '--concurrency', '4']);
    proc.onLine((line) => {
      const [verb, runId] = line.split(/ +/);
      // A run the victim had finished but not yet reported is skipped by its taker: no takeover to time.
      if ((verb === 'take' || verb === 'skip') && runId) settle(runId, proc, verb === 'take');
    });
    procs.push(proc);
    return proc;
  };
  let submitted = 0;
  // Fresh runs wait in BullMQ's prioritized set (in the wait list before priorities were used): both are counted.
  const queued = async () => {
    const counts = await s.queue.queue.getJobCounts('prioritized', 'waiting');
    return (counts.prioritized ?? 0) + (counts.waiting ?? 0);
  };
  const refill = async () => {
    const missing = backlogSize + 20 - (await queued());
    for (let i = 0; i < missing; i++) await s.queue.enqueue(await s.submit(`b-${submitted++}`), { fresh: true });
  };
  let refilling = true;
  let refiller: Promise<void> = Promise.resolve();
  let minBacklog = Infinity;
  try {
    await refill();
    for (let i = 0; i < 3; i++) spawnWorker();
    await Promise.all(procs.map((p) => p.ready));
    refiller = (async () => {
      while (refilling) {
        await refill();
        await sleep(50);
      }
    })();
    for (let k = 0; k < kills; k++) {
      let victim: WorkerProc | undefined;
      while (!(victim = procs.find((p) => p.child.exitCode === null && p.child.signalCode === null && p.inHand.size > 0))) await sleep(20);
      minBacklog = Math.min(minBacklog, await queued());
      const retaken = new Promise<void>((resolve) => (allRetaken = resolve));
      victim.child.kill('SIGKILL');
      const since = performance.now();
      for (const runId of victim.inHand) orphans.set(runId, { since, victim });
      await Promise.race([retaken, sleep(120_000).then(() => Promise.reject(new Error(`orphans not taken over in 120 s: ${[...orphans.keys()].join(', ')}`)))]);
      // The replacement starts once the takeover is timed: a process start (tsx compiling the sources) would take the
      // survivors' CPU, as a replacement on another machine would not.
      await spawnWorker().ready;
    }
    return { samples, minBacklog };
  } finally {
    refilling = false;
    await refiller.catch(() => undefined); // never an add on a queue closed below
    await stopAll(procs, 'SIGKILL');
    await s.remove();
  }
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const reps = quick ? 1 : 3;
  const kills = quick ? 2 : 5;
  const slow = await startSimulator({ seed: 5, latency: { ttftMs: 60_000 }, script: { '*': () => JSON.stringify({ answer: 'ok' }) } });
  const paced = await startSimulator({ seed: 5, numParallel: 32, latency: { ttftMs: 1_000 }, script: { '*': () => JSON.stringify({ answer: 'ok' }) } });
  try {
    const alone: number[] = [];
    const p95s: number[] = [];
    const counts: number[] = [];
    const backlogs: number[] = [];
    const loads: string[] = [];
    for (let rep = 0; rep < reps; rep++) {
      progress('takeover', `rep ${rep + 1}/${reps}: one run, nothing queued (--takeover-ms ${takeoverKnob})`);
      alone.push(await takeover(slow.url));
      progress('takeover', `rep ${rep + 1}/${reps}: ${kills} kills with ${backlogSize} fresh runs queued`);
      const { samples, minBacklog } = await takeoverUnderBacklog(paced.url, kills);
      p95s.push(percentile(samples, 95));
      counts.push(samples.length);
      backlogs.push(minBacklog);
      loads.push(loadavg()[0]?.toFixed(1) ?? '?');
    }
    const goal = { op: '<=' as const, target: bound };
    return {
      figures: {
        takeoverMs: figure(alone, { unit: 'ms', goal, measure: `SIGKILL of the driving worker → another worker drives the run (--takeover-ms ${takeoverKnob}), nothing else queued` }),
        takeoverP95Ms: figure(p95s, {
          unit: 'ms',
          goal,
          measure: `95th percentile of SIGKILL → each of the victim's runs driven again, ${backlogSize} fresh runs queued, 3 workers × 4 (--takeover-ms ${takeoverKnob}), vs takeoverMs`,
          baselines: alone,
          candidates: p95s,
        }),
      },
      notes: [
        `takeover: bound 1.5 × --takeover-ms + 1 s = ${bound} ms (the BullMQ lock lapses within --takeover-ms, the stall check runs every quarter of it; the store's lease is the same length).`,
        `takeoverP95Ms: ${counts.join(' / ')} orphan(s) timed per rep over ${kills} kills; fresh runs queued at the kills ≥ ${backlogs.join(' / ')}; 1-min load average after each rep ${loads.join(' / ')}; median of takeoverMs ${median(alone).toFixed(0)} ms.`,
      ],
    };
  } finally {
    await slow.close();
    await paced.close();
  }
}
