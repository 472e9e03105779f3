// Third-party clients against the simulator, unchanged: LangChain's ChatOllama.bindTools and the Vercel AI SDK's
// Ollama provider (ollama-ai-provider-v2) get tool calls for a zod-declared tool, streaming and not, and a final
// text answer once the tool result is sent back. The raw /api/chat wire (what curl sees) is checked first.
// (The Python `ollama` client is not covered: no Python package index is reachable from this machine.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ChatOllama } from '@langchain/ollama';
import { tool as lcTool } from '@langchain/core/tools';
import { AIMessageChunk, HumanMessage, ToolMessage, type AIMessage, type BaseMessage } from '@langchain/core/messages';
import { generateText, stepCountIs, streamText, tool as aiTool, type ModelMessage } from 'ai';
import { createOllama } from 'ollama-ai-provider-v2';
import { startSimulator, type SimRequest, type Simulator } from '../../src/testing/index.ts';

const SYNTH = 'llama3.2:3b'; // tool calls synthesized from the offered schema
const SCRIPTED = 'qwen2.5-coder:7b'; // tool calls and answer from `script`
const PROMPT = 'What is the weather in Paris for the next 3 days, in celsius?';
const SCRIPTED_ARGS: WeatherArgs = { city: 'Paris', unit: 'celsius', days: 3 };
const ANSWER = 'Paris: 18 °C and sunny for the next 3 days.';

const weatherSchema = z.object({
  city: z.string().describe('City name'),
  unit: z.enum(['celsius', 'fahrenheit']),
  days: z.number().int().min(1).max(7),
});
type WeatherArgs = z.infer<typeof weatherSchema>;
const forecast = (args: WeatherArgs) => ({ city: args.city, unit: args.unit, days: args.days, temperature: 18, sky: 'sunny' });

let sim: Simulator;
const requests: SimRequest[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    models: [SYNTH, SCRIPTED],
    seed: 5,
    script: {
      [SCRIPTED]: (req) => {
        requests.push(req);
        const answered = req.messages.at(-1)?.role === 'tool';
        return answered
          ? { content: ANSWER }
          : { content: '', toolCalls: [{ function: { name: 'get_weather', arguments: SCRIPTED_ARGS } }] };
      },
    },
  });
});
afterAll(async () => {
  await sim.close();
});

/** Arguments as the simulator synthesized them must satisfy the zod schema the client declared. */
function expectValidArgs(args: unknown): WeatherArgs {
  const parsed = weatherSchema.safeParse(args);
  expect(parsed.success, JSON.stringify(args)).toBe(true);
  return parsed.data!;
}

describe('the raw /api/chat wire (curl)', () => {
  const tools = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather forecast', parameters: z.toJSONSchema(weatherSchema) } },
  ];
  const body = (stream: boolean) =>
    JSON.stringify({ model: SYNTH, stream, tools, messages: [{ role: 'user', content: PROMPT }] });

  it('not streaming: message.tool_calls with id, index, name and object arguments', async () => {
    const r = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: body(false) });
    expect(r.status).toBe(200);
    const json = (await r.json()) as { message: { tool_calls: { id: string; function: Record<string, unknown> }[] }; done: boolean };
    expect(json.done).toBe(true);
    const [call] = json.message.tool_calls;
    expect(call!.id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(call!.function).toMatchObject({ index: 0, name: 'get_weather' });
    expect(typeof call!.function.arguments).toBe('object');
    expectValidArgs(call!.function.arguments);
  });

  it('streaming: the same calls in one NDJSON line before the done line', async () => {
    const whole = await (await fetch(`${sim.url}/api/chat`, { method: 'POST', body: body(false) })).json();
    const r = await fetch(`${sim.url}/api/chat`, { method: 'POST', body: body(true) });
    expect(r.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = (await r.text()).trim().split('\n').map((l) => JSON.parse(l));
    const withCalls = lines.filter((l) => l.message?.tool_calls);
    expect(withCalls).toHaveLength(1);
    expect(withCalls[0].done).toBe(false);
    expect(withCalls[0].message.tool_calls).toEqual(whole.message.tool_calls);
    expect(lines.at(-1).done).toBe(true);
  });
});

describe('LangChain ChatOllama.bindTools', () => {
  const getWeather = lcTool(async (args: WeatherArgs) => JSON.stringify(forecast(args)), {
    name: 'get_weather',
    description: 'Weather forecast for a city',
    schema: weatherSchema,
  });
  const chat = (model: string) => new ChatOllama({ baseUrl: sim.url, model, maxRetries: 0 }).bindTools([getWeather]);

  async function streamed(model: string, messages: BaseMessage[]): Promise<AIMessageChunk> {
    let merged: AIMessageChunk | undefined;
    for await (const chunk of await chat(model).stream(messages)) merged = merged ? merged.concat(chunk) : chunk;
    return merged!;
  }

  /** Runs the tool on the call (which validates its args against the schema), sends the result, returns the answer. */
  async function followUp(model: string, ai: AIMessage): Promise<AIMessage> {
    const result = (await getWeather.invoke({ ...ai.tool_calls![0]!, type: 'tool_call' })) as ToolMessage;
    expect(result).toBeInstanceOf(ToolMessage);
    return chat(model).invoke([new HumanMessage(PROMPT), ai, result]);
  }

  it('invoke: a synthesized call with args that parse, then a text answer after the tool result', async () => {
    const ai = await chat(SYNTH).invoke([new HumanMessage(PROMPT)]);
    expect(ai.tool_calls).toHaveLength(1);
    expect(ai.tool_calls![0]).toMatchObject({ name: 'get_weather', type: 'tool_call' });
    expect(ai.tool_calls![0]!.id).toBeTruthy();
    expectValidArgs(ai.tool_calls![0]!.args);
    expect(ai.invalid_tool_calls ?? []).toEqual([]);
    const final = await followUp(SYNTH, ai);
    expect(final.tool_calls ?? []).toEqual([]);
    expect(typeof final.content).toBe('string');
    expect((final.content as string).length).toBeGreaterThan(0);
  });

  it('invoke: scripted args arrive unchanged, and the scripted answer after the tool result', async () => {
    requests.length = 0;
    const ai = await chat(SCRIPTED).invoke([new HumanMessage(PROMPT)]);
    expect(ai.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', args: SCRIPTED_ARGS })]);
    const final = await followUp(SCRIPTED, ai);
    expect(final.content).toBe(ANSWER);
    // What LangChain sent back: the assistant's call and the tool result, and the zod schema as the tool's parameters.
    const last = requests.at(-1)!;
    expect(last.tools?.[0]?.function).toMatchObject({
      name: 'get_weather',
      parameters: { type: 'object', required: expect.arrayContaining(['city', 'unit', 'days']) },
    });
    expect(last.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(last.messages[1]!.tool_calls?.[0]?.function).toMatchObject({ name: 'get_weather', arguments: SCRIPTED_ARGS });
    expect(JSON.parse(last.messages[2]!.content)).toEqual(forecast(SCRIPTED_ARGS));
  });

  it('stream: the merged chunks carry the same call as invoke, then a streamed answer', async () => {
    const whole = await chat(SYNTH).invoke([new HumanMessage(PROMPT)]);
    const ai = await streamed(SYNTH, [new HumanMessage(PROMPT)]);
    expect(ai.tool_calls).toHaveLength(1);
    expect(ai.tool_calls![0]).toMatchObject({ name: 'get_weather', args: whole.tool_calls![0]!.args });
    expectValidArgs(ai.tool_calls![0]!.args);
    const result = (await getWeather.invoke({ ...ai.tool_calls![0]!, type: 'tool_call' })) as ToolMessage;
    const final = await streamed(SYNTH, [new HumanMessage(PROMPT), ai, result]);
    expect(final.tool_calls ?? []).toEqual([]);
    expect((final.content as string).length).toBeGreaterThan(0);

    const scripted = await streamed(SCRIPTED, [new HumanMessage(PROMPT)]);
    expect(scripted.tool_calls).toEqual([expect.objectContaining({ name: 'get_weather', args: SCRIPTED_ARGS })]);
  });
});

describe('Vercel AI SDK with ollama-ai-provider-v2', () => {
  const ollama = () => createOllama({ baseURL: `${sim.url}/api` });
  const declared = { get_weather: aiTool({ description: 'Weather forecast for a city', inputSchema: weatherSchema }) };
  const executable = {
    get_weather: aiTool({ description: 'Weather forecast for a city', inputSchema: weatherSchema, execute: async (args) => forecast(args) }),
  };

  it('generateText: a valid tool call and finishReason tool-calls, then a text answer after the tool result', async () => {
    const r = await generateText({ model: ollama()(SYNTH), tools: declared, prompt: PROMPT, maxRetries: 0 });
    expect(r.finishReason).toBe('tool-calls');
    expect(r.toolCalls).toHaveLength(1);
    const [call] = r.toolCalls;
    expect(call).toMatchObject({ type: 'tool-call', toolName: 'get_weather' });
    expect(call!.toolCallId).toBeTruthy();
    expect((call as { invalid?: boolean }).invalid).toBeUndefined();
    const args = expectValidArgs(call!.input);

    const messages: ModelMessage[] = [
      { role: 'user', content: PROMPT },
      ...r.response.messages,
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: call!.toolCallId, toolName: 'get_weather', output: { type: 'json', value: forecast(args) } },
        ],
      },
    ];
    const final = await generateText({ model: ollama()(SYNTH), tools: declared, messages, maxRetries: 0 });
    expect(final.toolCalls).toEqual([]);
    expect(final.finishReason).toBe('stop');
    expect(final.text.length).toBeGreaterThan(0);
  });

  it('generateText with execute: the SDK runs the tool and loops to the scripted answer; args arrive unchanged', async () => {
    requests.length = 0;
    const r = await generateText({
      model: ollama()(SCRIPTED),
      tools: executable,
      stopWhen: stepCountIs(3),
      prompt: PROMPT,
      maxRetries: 0,
    });
    expect(r.steps).toHaveLength(2);
    expect(r.steps[0]!.toolCalls).toEqual([expect.objectContaining({ toolName: 'get_weather', input: SCRIPTED_ARGS })]);
    expect(r.steps[0]!.toolResults[0]!.output).toEqual(forecast(SCRIPTED_ARGS));
    expect(r.text).toBe(ANSWER);
    const last = requests.at(-1)!;
    expect(last.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(last.messages[1]!.tool_calls?.[0]?.function).toMatchObject({ name: 'get_weather', arguments: SCRIPTED_ARGS });
    expect(JSON.parse(last.messages[2]!.content)).toEqual(forecast(SCRIPTED_ARGS));
  });

  it('streamText: a tool-call part with the same input as generateText, then a streamed answer', async () => {
    const whole = await generateText({ model: ollama()(SYNTH), tools: declared, prompt: PROMPT, maxRetries: 0 });
    const s = streamText({ model: ollama()(SYNTH), tools: declared, prompt: PROMPT, maxRetries: 0 });
    const parts = [];
    for await (const part of s.fullStream) parts.push(part);
    expect(parts.filter((p) => p.type === 'error')).toEqual([]);
    const calls = parts.filter((p) => p.type === 'tool-call');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ toolName: 'get_weather', input: whole.toolCalls[0]!.input });
    expect((calls[0] as { invalid?: boolean }).invalid).toBeUndefined();
    expectValidArgs((calls[0] as { input: unknown }).input);
    expect(await s.finishReason).toBe('tool-calls');

    const looped = streamText({ model: ollama()(SYNTH), tools: executable, stopWhen: stepCountIs(3), prompt: PROMPT, maxRetries: 0 });
    const text = await looped.text;
    const steps = await looped.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolResults).toHaveLength(1);
    expect(await looped.finishReason).toBe('stop');
    expect(text.length).toBeGreaterThan(0);
  });
});
