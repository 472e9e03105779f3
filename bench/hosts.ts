// hostBalance: how evenly a HostSet spreads a fan-out's calls over two equal hosts; failoverMs: from a host's death
// to the call it was serving answered by the other host.
import { HostSet } from '../src/llm/hosts.ts';
import type { ChatMessage } from '../src/llm/index.ts';
import { runWorkflow } from '../src/runtime/index.ts';
import { isCallEntry } from '../src/steps/services.ts';
import { MemoryStore } from '../src/store/index.ts';
import { startSimulator, type Simulator } from '../src/testing/index.ts';
import { chainModule } from './chain-module.ts';
import { benchModel, fanOutWorkflow } from './chain.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { median, timed } from './stats.ts';

const repetitions = 3;
const slots = 2;
const concurrency = 4;
/** Ten words: ten streamed tokens per call. */
const reply = 'The river runs north past the old mill and on.';
const ask = (n: number): ChatMessage[] => [{ role: 'user', content: `Say hello #${n}.` }];

/** Two equal hosts of `slots` slots; each repetition, one fan-out run of `items` calls over a fresh HostSet. */
async function balance(items: number): Promise<{ deviations: number[]; shares: number[] }> {
  const sims = await Promise.all([0, 1].map((seed) => startSimulator({ seed, numParallel: slots, latency: { ttftMs: 10, perTokenMs: 1 }, script: { '*': () => reply } })));
  try {
    const store = new MemoryStore();
    const workflow = fanOutWorkflow(sims[0]?.url ?? '', concurrency);
    const list = Array.from({ length: items }, (_, i) => `document ${i + 1}`);
    const deviations: number[] = [];
    const shares: number[] = [];
    for (let rep = 0; rep < repetitions; rep++) {
      const hosts = new HostSet(sims.map((sim) => ({ host: sim.url, slots })));
      const record = await runWorkflow({ store, workflow, modulePath: chainModule, input: { items: list }, hosts, runId: `balance-${rep}` });
      // A fan-out's journal also keeps each finished item's output (no call): count the calls.
      const calls = record.journal.filter(isCallEntry);
      if (record.status !== 'done' || calls.length !== items) throw new Error(`fan-out ended ${record.status} with ${calls.length} calls`);
      const even = items / sims.length;
      const counts = sims.map((sim) => calls.filter((entry) => entry.result.metadata.host === sim.url).length);
      deviations.push((Math.max(...counts.map((n) => Math.abs(n - even))) / even) * 100);
      shares.push(((counts[0] ?? 0) / items) * 100);
    }
    return { deviations, shares };
  } finally {
    await Promise.all(sims.map((sim) => sim.close()));
  }
}

/** One death: a call held by the first host, which is then closed; ms from the close to the call's answer by the other. */
async function failover(rep: number): Promise<{ ms: number; plainMs: number }> {
  let hold = false;
  let arrived: () => void = () => {};
  const held = new Promise<void>((resolve) => (arrived = resolve));
  const dying = await startSimulator({
    seed: rep,
    script: {
      '*': () => {
        if (!hold) return reply;
        arrived();
        return new Promise<never>(() => {}); // never answered: the host dies first
      },
    },
  });
  const other: Simulator = await startSimulator({ seed: rep + 100, script: { '*': () => reply } });
  try {
    const hosts = new HostSet([dying.url, other.url]);
    const warm = await hosts.call(ask(0), { model: benchModel }, { runKey: 'r' }); // the run's host: `dying`
    if (warm.metadata.host !== dying.url) throw new Error(`warm-up call went to ${warm.metadata.host}`);
    // The baseline: a call on `other` alone, once it has the model loaded.
    const alone = new HostSet([other.url]);
    await alone.call(ask(1), { model: benchModel });
    const plainMs = await timed(() => alone.call(ask(1), { model: benchModel }));
    hold = true;
    const pending = hosts.call(ask(2), { model: benchModel }, { runKey: 'r' });
    await held;
    const started = performance.now();
    await dying.close();
    const result = await pending;
    const ms = performance.now() - started;
    if (!result.success || result.metadata.host !== other.url) throw new Error(`failover ended ${result.metadata.error?.kind ?? 'ok'} on ${result.metadata.host}`);
    return { ms, plainMs };
  } finally {
    await Promise.all([dying.close(), other.close()]);
  }
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const items = quick ? 32 : 64;
  progress('hosts', `${repetitions} fan-outs of ${items} calls (concurrency ${concurrency}) over 2 equal hosts of ${slots} slots; ${repetitions} host deaths mid-call`);
  const { deviations, shares } = await balance(items);
  const deaths: { ms: number; plainMs: number }[] = [];
  for (let rep = 0; rep < repetitions; rep++) deaths.push(await failover(rep));
  const plain = deaths.map((d) => d.plainMs);
  return {
    figures: {
      hostBalance: figure(deviations, {
        unit: '%',
        goal: { op: '<=', target: 10 },
        measure: `max deviation of a host's share of ${items} fan-out calls from an even split (2 equal hosts, HostSet, runWorkflow)`,
      }),
      failoverMs: figure(deaths.map((d) => d.ms), {
        unit: 'ms',
        goal: null,
        measure: 'from closing the host serving a call to that call answered by the other host (HostSet.call)',
        baselines: plain,
        candidates: deaths.map((d) => d.ms),
      }),
    },
    notes: [
      `hostBalance: first host's share ${shares.map((s) => `${s.toFixed(1)} %`).join(', ')}; each run is one fanOut({ concurrency: ${concurrency} }) ` +
        `whose calls share the run's key, so the run's own host takes them until it is full and the rest overflow.`,
      `failoverMs: includes the other host's reply (a warm call there takes ${median(plain).toFixed(1)} ms median, the baseline column).`,
    ],
  };
}
