// The OpenAI-compatible layer refuses what Ollama's does (middleware/openai.go binds openai/openai.go's structs,
// FromChatRequest converts), in OpenAI's error shape, generating and counting nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ models: ['llama3.2:3b', 'llava:7b', 'nomic-embed-text'] });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

const PNG = 'iVBORw0KGgoAAAANSUhEUg==';
const user = (content: unknown) => ({ model: 'llava:7b', messages: [{ role: 'user', content }] });
const image = (url: unknown) => user([{ type: 'text', text: 'what is it?' }, { type: 'image_url', image_url: url }]);
const called = (args: unknown) => ({
  model: 'llama3.2:3b',
  messages: [
    { role: 'user', content: 'weather?' },
    { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
  ],
});

type Row = [name: string, path: string, body: unknown, status: number, message: string];

async function post(path: string, body: unknown) {
  const r = await fetch(`${sim.url}${path}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, type: r.headers.get('content-type'), json: (await r.json()) as Record<string, unknown> };
}

function errorType(status: number): string {
  return status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
}

async function expectRefusal([, path, body, status, message]: Row): Promise<void> {
  const r = await post(path, body);
  expect([r.status, r.type]).toEqual([status, 'application/json']);
  expect(r.json).toEqual({ error: { message, type: errorType(status), param: null, code: null } });
  expect(sim.stats().completed).toBe(0);
  expect(sim.log()).toEqual([]);
}

describe('/v1 bodies decoded into openai.go structs (the middleware reports err.Error(), io.EOF included)', () => {
  it.each<Row>([
    ['empty body', '/v1/chat/completions', '', 400, 'EOF'],
    ['stream as a string', '/v1/chat/completions', { ...user('hi'), stream: 'yes' }, 400, 'json: cannot unmarshal string into Go struct field ChatCompletionRequest.stream of type bool'],
    ['a role as a number', '/v1/chat/completions', { model: 'llama3.2:3b', messages: [{ role: 1, content: 'hi' }] }, 400, 'json: cannot unmarshal number into Go struct field Message.messages.role of type string'],
    ['tool-call arguments as an object', '/v1/chat/completions', called({ city: 'Paris' }), 400, 'json: cannot unmarshal object into Go struct field .messages.tool_calls.function.arguments of type string'],
    ['temperature as a string', '/v1/chat/completions', { ...user('hi'), temperature: 'hot' }, 400, 'json: cannot unmarshal string into Go struct field ChatCompletionRequest.temperature of type float64'],
    ['max_tokens as a fraction', '/v1/chat/completions', { ...user('hi'), max_tokens: 1.5 }, 400, 'json: cannot unmarshal number 1.5 into Go struct field ChatCompletionRequest.max_tokens of type int'],
    ['a prompt list', '/v1/completions', { model: 'llama3.2:3b', prompt: ['a', 'b'] }, 400, 'json: cannot unmarshal array into Go struct field CompletionRequest.prompt of type string'],
    ['embedding dimensions as a string', '/v1/embeddings', { model: 'nomic-embed-text', input: 'x', dimensions: '8' }, 400, 'json: cannot unmarshal string into Go struct field EmbedRequest.dimensions of type int'],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });
});

describe('FromChatRequest: content, images and tool calls (openai/openai.go)', () => {
  it.each<Row>([
    ['an http image URL', '/v1/chat/completions', image({ url: 'https://example.com/cat.png' }), 400, 'image URLs are not currently supported, please use base64 encoded data instead'],
    ['a gif data URL', '/v1/chat/completions', image({ url: `data:image/gif;base64,${PNG}` }), 400, 'invalid image input'],
    ['a data URL that is not base64', '/v1/chat/completions', image({ url: 'data:image/png;base64,!!!!' }), 400, 'invalid image input'],
    ['an image part without a url', '/v1/chat/completions', image({ detail: 'high' }), 400, 'invalid message format'],
    ['an unknown part type', '/v1/chat/completions', user([{ type: 'video', video: 'x' }]), 400, 'invalid message format'],
    ['a text part without text', '/v1/chat/completions', user([{ type: 'text', value: 'hi' }]), 400, 'invalid message format'],
    ['audio that is not base64', '/v1/chat/completions', user([{ type: 'input_audio', input_audio: { data: 'abc' } }]), 400, 'invalid input_audio base64 data: illegal base64 data at input byte 0'],
    ['content as a number', '/v1/chat/completions', user(5), 400, 'invalid message content type: float64'],
    ['no content and no tool calls', '/v1/chat/completions', { model: 'llama3.2:3b', messages: [{ role: 'user' }] }, 400, 'invalid message content type: <nil>'],
    ['tool-call arguments that are not JSON', '/v1/chat/completions', called('{city: Paris}'), 400, 'invalid tool call arguments'],
    ['empty tool-call arguments', '/v1/chat/completions', called(''), 400, 'invalid tool call arguments'],
    ['tool-call arguments that are a list', '/v1/chat/completions', called('["Paris"]'), 400, 'invalid tool call arguments'],
    ['top_logprobs over 20', '/v1/chat/completions', { ...user('hi'), model: 'llama3.2:3b', logprobs: true, top_logprobs: 25 }, 400, 'top_logprobs must be between 0 and 20'],
    ['completions: a stop that is not a string', '/v1/completions', { model: 'llama3.2:3b', prompt: 'x', stop: ['\n', null] }, 400, "invalid type for 'stop' field: <nil>"],
    ['completions: logprobs over 20', '/v1/completions', { model: 'llama3.2:3b', prompt: 'x', logprobs: 21 }, 400, 'top_logprobs must be between 0 and 20'],
    ['embeddings: an unknown model', '/v1/embeddings', { model: 'ghost', input: 'x' }, 404, 'model "ghost" not found, try pulling it first'],
    ['embeddings: numbers as input', '/v1/embeddings', { model: 'nomic-embed-text', input: [1, 2] }, 400, 'invalid input type'],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });

  it('retrieving an unknown model answers with the name ShowHandler looked up', async () => {
    const r = await fetch(`${sim.url}/v1/models/ghost`);
    expect([r.status, await r.json()]).toEqual([404, { error: { message: "model 'ghost:latest' not found", type: 'not_found_error', param: null, code: null } }]);
  });

  it('base64 data URLs of the accepted types (or a blank one) are images', async () => {
    for (const url of [`data:image/png;base64,${PNG}`, `data:image/jpeg;base64,${PNG}`, `data:;base64,${PNG}`]) {
      expect((await post('/v1/chat/completions', image(url))).status).toBe(200);
    }
  });
});

describe('through the official openai client', () => {
  const client = () => new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'ollama', maxRetries: 0 });

  it('an image URL and malformed tool arguments are APIErrors 400', async () => {
    const url = await client()
      .chat.completions.create({ model: 'llava:7b', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] }] })
      .catch((e: unknown) => e);
    expect(url).toBeInstanceOf(OpenAI.APIError);
    expect(url).toMatchObject({ status: 400, type: 'invalid_request_error', message: expect.stringContaining('image URLs are not currently supported') });
    const args = await client()
      .chat.completions.create({
        model: 'llama3.2:3b',
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: 'Paris' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        ],
      })
      .catch((e: unknown) => e);
    expect(args).toMatchObject({ status: 400, message: expect.stringContaining('invalid tool call arguments') });
    expect(sim.stats().completed).toBe(0);
  });

  it('logprobs come back per token in choices[].logprobs.content, with top_logprobs alternatives', async () => {
    const r = await client().chat.completions.create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }], logprobs: true, top_logprobs: 3 });
    const content = r.choices[0]!.logprobs!.content!;
    expect(content).toHaveLength(r.usage!.completion_tokens);
    expect(content.map((t) => t.token).join('')).toBe(r.choices[0]!.message.content);
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.bytes).toEqual([...Buffer.from(t.token, 'utf8')]);
      expect(t.top_logprobs).toHaveLength(3);
      expect(t.top_logprobs[0]).toMatchObject({ token: t.token, logprob: t.logprob });
    }
    const plain = await client().chat.completions.create({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] });
    expect(plain.choices[0]).not.toHaveProperty('logprobs');
  });
});
