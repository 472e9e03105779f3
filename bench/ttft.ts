// Benchmark 2: how close callModel's client-side ttftMs comes to the simulator's configured time to first token.
import { Ollama } from 'ollama';
import { callModel } from '../src/llm/index.ts';
import type { ChatMessage } from '../src/llm/types.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, type BenchOptions } from './env.ts';
import { ms, type BenchResult, type Row } from './report.ts';
import { median, percentile } from './stats.ts';
import { benchModel } from './workflows.ts';

const ttft = 50;
const perToken = 2;

function errorRow(measure: string, naive: number, client: number): Row {
  const diff = client - naive;
  return {
    id: '2 ttft',
    measure,
    baseline: ms(naive),
    candidate: ms(client),
    result: `${diff < 0 ? '-' : '+'}${ms(Math.abs(diff))}`,
    target: 'info',
    verdict: 'info',
  };
}

export async function run({ quick }: BenchOptions): Promise<BenchResult> {
  // A short fixed reply: the first token is what is measured, the rest only costs time.
  const sim = await startSimulator({ seed: 2, latency: { ttftMs: ttft, perTokenMs: perToken }, script: { '*': () => 'One two three four five six.' } });
  try {
    const calls = quick ? 20 : 80;
    progress('ttft', `${calls} sequential calls, latency { ttftMs: ${ttft}, perTokenMs: ${perToken} }`);
    const client: number[] = [];
    const naive: number[] = [];
    const raw: number[] = [];
    const rawTtft = async (messages: ChatMessage[]): Promise<number | null> => {
      const started = performance.now();
      let first: number | null = null;
      const stream = await new Ollama({ host: sim.url }).chat({ model: benchModel, messages, stream: true, options: { num_predict: 1024, temperature: 0 } });
      for await (const part of stream) if (first === null && part.message.content !== '') first = performance.now() - started;
      return first;
    };
    for (let i = 0; i < calls + 3; i++) {
      const messages: ChatMessage[] = [{ role: 'user', content: `Count to six (${i}).` }];
      // Beside each harness call, in alternating order: a bare ollama-js stream timed to its first content.
      const before = i % 2 === 0 ? await rawTtft(messages) : null;
      const result = await callModel(messages, { model: benchModel, host: sim.url, timeoutMs: 10_000 });
      const first = i % 2 === 0 ? before : await rawTtft(messages);
      if (!result.success || result.ttftMs === null || first === null) throw new Error(`call failed: ${result.metadata.error?.message ?? 'no token'}`);
      if (i < 3) continue; // warm-up: the connection and the JIT
      client.push(result.ttftMs);
      raw.push(first);
      // What Ollama's counters say elapsed before generation: load (queue included) + prompt evaluation.
      naive.push((result.metadata.loadMs ?? 0) + (result.metadata.promptEvalMs ?? 0));
    }
    const error = (samples: number[], truth: number) => samples.map((x) => Math.abs(x - truth));
    return {
      rows: [
        errorRow(`|ttft − ${ttft} ms|, median: server counters vs callModel.ttftMs`, median(error(naive, ttft)), median(error(client, ttft))),
        errorRow(`|ttft − ${ttft} ms|, p95: server counters vs callModel.ttftMs`, percentile(error(naive, ttft), 95), percentile(error(client, ttft), 95)),
        errorRow(
          `|ttft − ${ttft + perToken} ms| (first token is sent after ttftMs + perTokenMs), median`,
          median(error(naive, ttft + perToken)),
          median(error(client, ttft + perToken)),
        ),
        errorRow(`|ttft − ${ttft} ms|, median: raw ollama-js stream's first token vs callModel.ttftMs`, median(error(raw, ttft)), median(error(client, ttft))),
      ],
      notes: [
        `2 ttft: ${calls} calls; median callModel.ttftMs ${median(client).toFixed(2)} ms, median load+prompt_eval counters ` +
          `${median(naive).toFixed(2)} ms. The simulator sleeps ttftMs, then perTokenMs before EVERY token including the first, so the ` +
          `first token leaves the server at ≥ ${ttft + perToken} ms; the counters stop at the end of the ttft sleep and omit the network.`,
      ],
    };
  } finally {
    await sim.close();
  }
}
