// ttftErrorMs: how close callModel's client-side ttftMs comes to the simulator's configured time to first token.
import { Ollama } from 'ollama';
import { callModel } from '../src/llm/index.ts';
import type { ChatMessage } from '../src/llm/types.ts';
import { startSimulator } from '../src/testing/index.ts';
import { progress, type BenchOptions } from './env.ts';
import { figure, ms, type BenchResult, type Row } from './report.ts';
import { median } from './stats.ts';
import { benchModel, callOptions } from './chain.ts';

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
    const calls = quick ? 10 : 40;
    // The simulator sleeps ttftMs, then perTokenMs before EVERY token including the first.
    const truth = ttft + perToken;
    progress('ttft', `3 repetitions of ${calls} sequential call pairs, latency { ttftMs: ${ttft}, perTokenMs: ${perToken} }`);
    const rawTtft = async (messages: ChatMessage[]): Promise<number | null> => {
      const started = performance.now();
      let first: number | null = null;
      const stream = await new Ollama({ host: sim.url }).chat({ model: benchModel, messages, stream: true, options: callOptions });
      for await (const part of stream) if (first === null && part.message.content !== '') first = performance.now() - started;
      return first;
    };
    const values: number[] = [];
    const baselines: number[] = [];
    const counters: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const client: number[] = [];
      const raw: number[] = [];
      const naive: number[] = [];
      for (let i = 0; i < calls + 3; i++) {
        const messages: ChatMessage[] = [{ role: 'user', content: `Count to six (${i}).` }];
        // Beside each harness call, in alternating order: a bare ollama-js stream timed to its first content.
        const before = i % 2 === 0 ? await rawTtft(messages) : null;
        const result = await callModel(messages, { model: benchModel, host: sim.url, timeoutMs: 10_000 });
        const first = i % 2 === 0 ? before : await rawTtft(messages);
        if (!result.success || result.ttftMs === null || first === null) throw new Error(`call failed: ${result.metadata.error?.message ?? 'no token'}`);
        if (i < 3) continue; // warm-up: the connection and the JIT
        client.push(Math.abs(result.ttftMs - truth));
        raw.push(Math.abs(first - truth));
        // What Ollama's counters say elapsed before generation: load (queue included) + prompt evaluation.
        naive.push(Math.abs((result.metadata.loadMs ?? 0) + (result.metadata.promptEvalMs ?? 0) - truth));
      }
      values.push(median(client));
      baselines.push(median(raw));
      counters.push(median(naive));
    }
    return {
      figures: {
        ttftErrorMs: figure(values, {
          unit: 'ms',
          goal: null,
          measure: `|callModel.ttftMs − ${truth} ms|, median; baseline: the same error of a raw ollama-js stream's first token beside it`,
          baselines,
          candidates: values,
        }),
      },
      rows: [errorRow(`|ttft − ${truth} ms|, median: server counters (load + prompt_eval) vs callModel.ttftMs`, median(counters), median(values))],
      notes: [
        `ttftErrorMs: ${calls} calls per repetition. The simulator sleeps ttftMs, then perTokenMs before EVERY token including the first, ` +
          `so the first token leaves the server at ≥ ${truth} ms; the server counters stop at the end of the ttft sleep and omit the network.`,
      ],
    };
  } finally {
    await sim.close();
  }
}
