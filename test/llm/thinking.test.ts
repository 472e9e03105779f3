import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import type { ChatResponse } from 'ollama';
import { callModel, ConfigError } from '../../src/llm/index.ts';
import { ReplyStream, readToolCalls } from '../../src/llm/stream.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const ask = [{ role: 'user' as const, content: 'Think, then answer.' }];

// The reading of a thinking stream is checked on Ollama's own chunks, and end to end against the simulator
// as ollama-js yields them; the request side (`think` sent, refused by a model without the capability) below.
function chunk(message: Partial<ChatResponse['message']>, done = false): ChatResponse {
  return {
    model: 'qwen3:8b',
    created_at: new Date(0),
    message: { role: 'assistant', content: '', ...message },
    done,
    done_reason: done ? 'stop' : '',
    total_duration: 0,
    load_duration: 0,
    prompt_eval_count: 0,
    prompt_eval_duration: 0,
    eval_count: 0,
    eval_duration: 0,
  };
}

describe('ReplyStream', () => {
  it('keeps thinking apart from content, feeds each to its own hook, and times the first of either', () => {
    const thoughts: string[] = [];
    const tokens: string[] = [];
    const reply = new ReplyStream(performance.now(), { onThinking: (p) => thoughts.push(p), onToken: (p) => tokens.push(p) });
    expect(reply.ttftMs).toBeNull();
    reply.push(chunk({ thinking: 'The user wants ' }));
    const afterThinking = reply.ttftMs;
    expect(afterThinking).not.toBeNull();
    reply.push(chunk({ thinking: 'a greeting.' }));
    reply.push(chunk({ content: '{"answer":' }));
    reply.push(chunk({ content: '"hi"}' }));
    reply.push(chunk({}, true));
    expect(reply.thinking).toBe('The user wants a greeting.');
    expect(reply.content).toBe('{"answer":"hi"}');
    expect(thoughts).toEqual(['The user wants ', 'a greeting.']);
    expect(tokens).toEqual(['{"answer":', '"hi"}']);
    expect(reply.ttftMs).toBe(afterThinking);
    expect(reply.final?.done).toBe(true);
  });

  it('collects tool calls from chunks, and from the done line only when no chunk had any', () => {
    const call = { function: { name: 'f', arguments: { a: 1 } } };
    const streamed = new ReplyStream(0);
    streamed.push(chunk({ tool_calls: [call] }));
    streamed.push(chunk({ tool_calls: [call] }, true));
    expect(streamed.toolCalls).toEqual([{ name: 'f', arguments: { a: 1 } }]);
    const whole = new ReplyStream(0);
    whole.push(chunk({ tool_calls: [call, call] }, true));
    expect(whole.toolCalls).toHaveLength(2);
  });

  it('reads ids and string arguments that some servers send', () => {
    expect(readToolCalls([{ id: 'call_1', function: { name: 'f', arguments: '{"a":1}' } }, { nope: 1 }, 'x']))
      .toEqual([{ id: 'call_1', name: 'f', arguments: { a: 1 } }]);
    expect(readToolCalls(undefined)).toEqual([]);
  });
});

describe('callModel with think', () => {
  it('sends think: a model that cannot think refuses it (bad-request, as Ollama answers 400)', async () => {
    const sim = await simulator();
    const r = await callModel(ask, { host: sim.url, think: true });
    expect(r.metadata.error).toMatchObject({ kind: 'bad-request', status: 400 });
    expect(r.metadata.error?.message).toMatch(/does not support thinking/);
  });

  it('a thinking model accepts think levels; the answer is validated, thinking is not', async () => {
    const sim = await simulator({ models: ['qwen3:8b'], script: { '*': () => '{"answer":"hi"}' } });
    for (const think of [true, 'high'] as const) {
      const r = await callModel(ask, { host: sim.url, model: 'qwen3:8b', think, schema: z.object({ answer: z.string() }) });
      expect(r.success).toBe(true);
      expect(r.data).toEqual({ answer: 'hi' });
      // The reasoning streams apart: it is kept, never validated as the answer, and never leaks into the content.
      expect(r.thinking?.length).toBeGreaterThan(0);
      expect(r.content).toBe('{"answer":"hi"}');
    }
  });

  it('rejects a think value Ollama does not take', async () => {
    const err = await callModel(ask, { think: 'max' as unknown as true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err)).toMatch(/think must be true, false, "low", "medium" or "high"/);
  });
});
