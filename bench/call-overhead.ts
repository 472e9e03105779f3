// Benchmark 1: what callModel adds to a raw ollama-js streaming call that consumes the same stream.
import { Ollama } from 'ollama';
import { callModel } from '../src/llm/index.ts';
import type { ChatMessage } from '../src/llm/types.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, type BenchOptions } from './env.ts';
import { differenceRow, type BenchResult } from './report.ts';
import { interleave, median, percentile } from './stats.ts';
import { benchModel } from './workflows.ts';

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  const sim = await startSimulator({ seed: 1 });
  try {
    const host = sim.url;
    const messages: ChatMessage[] = [{ role: 'user', content: 'Name three prime numbers.' }];
    // The very options callModel sends (its defaults), so both sides ask for the same reply.
    const options = { num_predict: 1024, temperature: 0 };
    const fns = {
      rawStream: async () => {
        const stream = await new Ollama({ host }).chat({ model: benchModel, messages, stream: true, options });
        for await (const part of stream) void part;
      },
      rawWhole: async () => {
        await new Ollama({ host }).chat({ model: benchModel, messages, stream: false, options });
      },
      harness: async () => {
        const result = await callModel(messages, { model: benchModel, host, timeoutMs: 60_000 });
        if (!result.success) throw new Error(`callModel failed: ${result.metadata.error?.message}`);
      },
    };
    const warmup = quick ? 50 : 200;
    const pairs = quick ? 150 : 500;
    progress('call', `warm-up ${warmup} rounds, then ${pairs} interleaved rounds (raw stream, raw whole, callModel)`);
    await interleave(warmup, fns);
    const s = await interleave(pairs, fns);
    // Rounds are pairs taken back to back, so the per-round difference cancels the machine's drift best.
    const paired = s.harness.map((h, i) => h - (s.rawStream[i] ?? h));
    const overhead = median(paired);
    const stream = differenceRow('1 call', 'callModel vs raw streamed chat (Δ: median of per-round differences)', median(s.rawStream), median(s.harness), 0.3);
    return {
      rows: [
        { ...stream, result: `${overhead < 0 ? '-' : '+'}${Math.abs(overhead).toFixed(3)} ms`, verdict: overhead <= 0.3 ? 'PASS' : 'MISS' },
        differenceRow('1 call', 'callModel vs raw non-streamed chat, medians (info)', median(s.rawWhole), median(s.harness), null),
      ],
      notes: [
        `1 call: ${pairs} rounds against a zero-latency simulator, ${sim.log().at(-1)?.evalCount ?? '?'} tokens per reply; ` +
          `difference of the medians ${(median(s.harness) - median(s.rawStream)).toFixed(3)} ms; p90 raw stream ${percentile(s.rawStream, 90).toFixed(3)} ms, ` +
          `p90 callModel ${percentile(s.harness, 90).toFixed(3)} ms.`,
      ],
    };
  } finally {
    await sim.close();
  }
}
