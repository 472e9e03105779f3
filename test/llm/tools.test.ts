import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import type { SimRequest } from '../../src/testing/index.ts';
import { assistantMessage, callModel, ConfigError, retryFeedback, toolMessage, toolsForOllama } from '../../src/llm/index.ts';
import type { ChatMessage, ToolSpec } from '../../src/llm/index.ts';
import { toWireMessage } from '../../src/llm/messages.ts';
import { useSimulators } from '../helpers/simulators.ts';

const simulator = useSimulators();
const ask: ChatMessage[] = [{ role: 'user', content: 'What is in README.md?' }];
const readFile: ToolSpec = {
  name: 'read_file',
  description: 'Read a file of the repository.',
  input: z.object({ path: z.string(), lines: z.number().int().positive().optional() }),
};
const listDir: ToolSpec = { name: 'list_dir', description: 'List a folder.', input: z.object({ dir: z.string() }) };
const tools = [readFile, listDir];

type Call = { function: { name: string; arguments: Record<string, unknown> } };
const calls = (...list: [string, Record<string, unknown>][]): Call[] =>
  list.map(([name, args]) => ({ function: { name, arguments: args } }));

describe('callModel with tools', () => {
  it('turns each tool into an Ollama function spec with the JSON Schema of its input', () => {
    expect(toolsForOllama([readFile])).toEqual([{
      type: 'function',
      function: {
        name: 'read_file',
        description: 'Read a file of the repository.',
        parameters: z.toJSONSchema(readFile.input, { io: 'input' }),
      },
    }]);
  });

  it('succeeds without calls when the model answers in text', async () => {
    const sim = await simulator({ script: { '*': () => 'no tool needed' } });
    const r = await callModel(ask, { host: sim.url, tools });
    expect(r.success).toBe(true);
    expect(r.content).toBe('no tool needed');
    expect(r.toolCalls).toBeUndefined();
  });

  it('collects streamed tool calls and returns validated arguments; empty content is fine', async () => {
    const sim = await simulator({
      script: { '*': () => ({ content: '', toolCalls: calls(['read_file', { path: 'README.md' }], ['list_dir', { dir: 'src' }]) }) },
    });
    const r = await callModel(ask, { host: sim.url, tools, schema: z.object({ answer: z.string() }) });
    expect(r.success).toBe(true);
    expect(r.content).toBe('');
    expect(r.data).toBeUndefined();
    expect(r.metadata.issues).toBeUndefined();
    // Ollama's tool calls carry an id; the arguments come back parsed by each tool's schema.
    expect(r.toolCalls).toMatchObject([
      { id: expect.any(String), name: 'read_file', arguments: { path: 'README.md' } },
      { id: expect.any(String), name: 'list_dir', arguments: { dir: 'src' } },
    ]);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('arguments that break the schema → invalid-output naming the tool and the path', async () => {
    const sim = await simulator({ script: { '*': () => ({ content: '', toolCalls: calls(['read_file', { path: 7 }]) }) } });
    const r = await callModel(ask, { host: sim.url, tools });
    expect(r.success).toBe(false);
    expect(r.metadata.error?.kind).toBe('invalid-output');
    expect(r.metadata.issues).toEqual([
      { path: 'tool_calls.0.arguments.path', message: 'tool "read_file": Invalid input: expected string, received number' },
    ]);
    expect(r.metadata.error?.message).toBe('tool_calls.0.arguments.path: tool "read_file": Invalid input: expected string, received number');
    expect(r.toolCalls).toMatchObject([{ name: 'read_file', arguments: { path: 7 } }]);
  });

  it('an unknown tool → invalid-output listing the tools there are', async () => {
    const sim = await simulator({ script: { '*': () => ({ content: '', toolCalls: calls(['list_dir', { dir: '.' }], ['rm', { path: '/' }]) }) } });
    const r = await callModel(ask, { host: sim.url, tools });
    expect(r.metadata.error?.kind).toBe('invalid-output');
    expect(r.metadata.issues).toEqual([{ path: 'tool_calls.1.name', message: 'unknown tool "rm"; the tools are: read_file, list_dir' }]);
  });

  it('feeds invalid arguments back with the exact issues and the calls the model made', async () => {
    const sim = await simulator({
      script: {
        '*': (req) => req.messages.length === 1
          ? { content: '', toolCalls: calls(['read_file', { path: 7 }]) }
          : { content: '', toolCalls: calls(['read_file', { path: 'README.md' }]) },
      },
    });
    const first = await callModel(ask, { host: sim.url, tools });
    const next = retryFeedback(ask, first);
    expect(next[1]).toMatchObject({ role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: { path: 7 } } }] });
    expect(next[2]?.content).toContain('- tool_calls.0.arguments.path: tool "read_file": Invalid input: expected string, received number');
    expect(next[2]?.content).toMatch(/Call the tools again/);
    const second = await callModel(next, { host: sim.url, tools });
    expect(second.success).toBe(true);
    expect(second.toolCalls).toMatchObject([{ name: 'read_file', arguments: { path: 'README.md' } }]);
  });

  it('carries a tool round trip: assistant tool_calls and tool answers in the wire shape', async () => {
    const seen: SimRequest[] = [];
    const sim = await simulator({ script: { '*': (req) => (seen.push(req), 'README says hello.') } });
    const turn = assistantMessage({ content: '', toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] });
    const conversation: ChatMessage[] = [...ask, turn, toolMessage('read_file', '# hello')];
    const r = await callModel(conversation, { host: sim.url, tools });
    expect(r.success).toBe(true);
    expect(seen[0]?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(conversation.map(toWireMessage)).toEqual([
      { role: 'user', content: 'What is in README.md?' },
      { role: 'assistant', content: '', tool_calls: [{ function: { name: 'read_file', arguments: { path: 'README.md' } } }] },
      { role: 'tool', content: '# hello', tool_name: 'read_file' },
    ]);
    // Fields Ollama does not know stay home.
    const extra = { role: 'user', content: 'x', note: 'mine' } as ChatMessage;
    expect(toWireMessage(extra)).toEqual({ role: 'user', content: 'x' });
  });

  it.each([
    [[{ name: 'a b', description: '', input: z.object({}) }], /tools\.0\.name/],
    [[{ name: 'a', description: '', input: {} }], /tools\.0\.input/],
    [[{ name: 'a', description: '', input: z.object({}) }, { name: 'a', description: '', input: z.object({}) }], /distinct/],
  ])('rejects a bad tool list with a ConfigError (%#)', async (bad, why) => {
    const err = await callModel(ask, { tools: bad as ToolSpec[] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(String(err)).toMatch(why);
  });
});
