// callOverheadMs: what callModel adds to a raw ollama-js streaming call that consumes the same stream.
import { Ollama } from 'ollama';
import { callModel } from '../src/llm/index.ts';
import type { ChatMessage } from '../src/llm/types.ts';
import { startSimulator } from '../src/testing/index.ts';
import { benchModel, callOptions } from './chain.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, type BenchResult } from './report.ts';
import { interleave, median, percentile } from './stats.ts';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sim = await startSimulator({ seed: 1 });
  try {
    const host = sim.url;
    const messages: ChatMessage[] = [{ role: 'user', content: 'Name three prime numbers.' }];
    const client = new Ollama({ host });
    const fns = {
      rawStream: async () => {
        const stream = await client.chat({ model: benchModel, messages, stream: true, options: callOptions });
        for await (const part of stream) void part;
      },
      harness: async () => {
        const result = await callModel(messages, { model: benchModel, host, timeoutMs: 60_000 });
        if (!result.success) throw new Error(`callModel failed: ${result.metadata.error?.message}`);
      },
    };
    const warmup = quick ? 50 : 200;
    const rounds = quick ? 100 : 300;
    progress('call', `warm-up ${warmup} rounds, then 3 repetitions of ${rounds} interleaved rounds (raw stream, callModel)`);
    await interleave(warmup, fns);
    const values: number[] = [];
    const baselines: number[] = [];
    const candidates: number[] = [];
    const p90: string[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const s = await interleave(rounds, fns);
      // Rounds are pairs taken back to back, so the per-round difference cancels the machine's drift best.
      values.push(median(s.harness.map((h, i) => h - (s.rawStream[i] ?? h))));
      baselines.push(median(s.rawStream));
      candidates.push(median(s.harness));
      p90.push(`${percentile(s.rawStream, 90).toFixed(3)}/${percentile(s.harness, 90).toFixed(3)}`);
    }
    return {
      figures: {
        callOverheadMs: figure(values, {
          unit: 'ms',
          goal: { op: '<=', target: 0.3 },
          measure: 'callModel − raw ollama-js streamed chat, median of per-round differences',
          baselines,
          candidates,
        }),
      },
      notes: [
        `callOverheadMs: ${rounds} rounds per repetition against a zero-latency simulator, ${sim.log().at(-1)?.evalCount ?? '?'} tokens per reply; ` +
          `p90 raw/callModel per repetition: ${p90.join(', ')} ms.`,
      ],
    };
  } finally {
    await sim.close();
  }
}
