// The simulator refuses what Ollama refuses, word for word and with its status, and refusing generates and
// counts nothing. Each table names the Ollama source the behaviour mirrors (checked at ollama/ollama fb30760).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ollama } from 'ollama';
import { startSimulator, type Simulator } from '../../src/testing/index.ts';
import { countTokens } from '../../src/testing/simulator/replies.ts';

const MODELS = ['qwen3:8b', 'gpt-oss:20b', 'llama3.2:3b', 'llava:7b', 'nomic-embed-text', 'all-minilm'];
const ask = { model: 'llama3.2:3b', messages: [{ role: 'user', content: 'Hello there' }] };
const gen = { model: 'llama3.2:3b', prompt: 'Hello there' };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ models: MODELS });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

type Row = [name: string, path: string, body: unknown, status: number, error: string];

async function post(path: string, body: unknown) {
  const r = await fetch(`${sim.url}${path}`, { method: path === '/api/delete' ? 'DELETE' : 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: r.status, type: r.headers.get('content-type'), json: (await r.json()) as Record<string, unknown> };
}

/** A refusal costs nothing: no reply completed, no token counted, nothing in the log. */
function expectNothingGenerated(): void {
  const stats = sim.stats();
  expect(stats.completed).toBe(0);
  expect(Object.values(stats.byModel).every((m) => m.tokensOut === 0 && m.completed === 0)).toBe(true);
  expect(sim.log()).toEqual([]);
}

async function expectRefusal([, path, body, status, error]: Row): Promise<void> {
  const r = await post(path, body);
  expect([r.status, r.json]).toEqual([status, { error }]);
  expectNothingGenerated();
}

describe("Go's JSON syntax errors (encoding/json scanner.go, via gin's ShouldBindJSON in server/routes.go)", () => {
  it.each<Row>([
    ['trailing comma', '/api/chat', '{"model": "llama3.2:3b",}', 400, "invalid character '}' looking for beginning of object key string"],
    ['missing colon', '/api/chat', '{"model" "llama3.2:3b"}', 400, 'invalid character \'"\' after object key'],
    ['missing comma', '/api/chat', '{"model": "x" "stream": false}', 400, 'invalid character \'"\' after object key:value pair'],
    ['bad array', '/api/chat', '{"messages": [1 2]}', 400, "invalid character '2' after array element"],
    ['control character in a string', '/api/chat', '{"model": "a\u0001b"}', 400, "invalid character '\\x01' in string literal"],
    ['bad escape', '/api/chat', '{"model": "a\\qb"}', 400, "invalid character 'q' in string escape code"],
    ['bad unicode escape', '/api/chat', '{"model": "\\u12x4"}', 400, "invalid character 'x' in \\u hexadecimal character escape"],
    ['cut literal', '/api/chat', '{"stream": tru}', 400, "invalid character '}' in literal true (expecting 'e')"],
    ['bare minus', '/api/chat', '{"top_logprobs": -}', 400, "invalid character '}' in numeric literal"],
    ['bad decimal', '/api/chat', '{"top_logprobs": 1.}', 400, "invalid character '}' after decimal point in numeric literal"],
    ['single quotes', '/api/generate', "{'model': 'x'}", 400, "invalid character '\\'' looking for beginning of object key string"],
    ['cut off', '/api/embed', '{"model": ["', 400, 'unexpected EOF'],
    ['empty body', '/api/show', '  \n', 400, 'missing request body'],
    ['nested deeper than Go allows', '/api/generate', `{"format": ${'['.repeat(10_001)}`, 400, "invalid character '[' exceeded max depth"],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });
});

describe("Go's type errors against api/types.go (first error wins; Message decodes through its Alias type)", () => {
  it.each<Row>([
    ['messages as a string', '/api/chat', { model: 'llama3.2:3b', messages: 'hi' }, 400, 'json: cannot unmarshal string into Go struct field ChatRequest.messages of type []api.Message'],
    ['a message that is a string', '/api/chat', { model: 'llama3.2:3b', messages: ['hi'] }, 400, 'json: cannot unmarshal string into Go struct field ChatRequest.messages of type api.Alias'],
    ['content as a number', '/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: 5 }] }, 400, 'json: cannot unmarshal number into Go struct field ChatRequest.messages.content of type string'],
    ['content as OpenAI parts', '/api/chat', { model: 'llama3.2:3b', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, 400, 'json: cannot unmarshal array into Go struct field ChatRequest.messages.content of type string'],
    ['stream as a string', '/api/chat', { ...ask, stream: 'no' }, 400, 'json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool'],
    ['options as a string', '/api/chat', { ...ask, options: 'fast' }, 400, 'json: cannot unmarshal string into Go struct field ChatRequest.options of type map[string]interface {}'],
    ['tools as an object', '/api/chat', { ...ask, tools: { type: 'function' } }, 400, 'json: cannot unmarshal object into Go struct field ChatRequest.tools of type api.Tools'],
    ['a tool name as a number', '/api/chat', { ...ask, tools: [{ type: 'function', function: { name: 7 } }] }, 400, 'json: cannot unmarshal number into Go struct field ToolFunction.tools.function.name of type string'],
    ['top_logprobs as a fraction', '/api/chat', { ...ask, top_logprobs: 1.5 }, 400, 'json: cannot unmarshal number 1.5 into Go struct field ChatRequest.top_logprobs of type int'],
    ['context with a fraction', '/api/generate', { ...gen, context: [1, 2.5] }, 400, 'json: cannot unmarshal number 2.5 into Go struct field GenerateRequest.context of type int'],
    ['raw as a string', '/api/generate', { ...gen, raw: 'yes' }, 400, 'json: cannot unmarshal string into Go struct field GenerateRequest.raw of type bool'],
    ['the first of two errors', '/api/generate', { model: 1, prompt: 2 }, 400, 'json: cannot unmarshal number into Go struct field GenerateRequest.model of type string'],
    ['a number body', '/api/embed', '42', 400, 'json: cannot unmarshal number into Go value of type api.EmbedRequest'],
    ['dimensions as a string', '/api/embed', { model: 'all-minilm', input: 'x', dimensions: '8' }, 400, 'json: cannot unmarshal string into Go struct field EmbedRequest.dimensions of type int'],
    ['show verbose as a string', '/api/show', { model: 'llama3.2:3b', verbose: 'yes' }, 400, 'json: cannot unmarshal string into Go struct field ShowRequest.verbose of type bool'],
    ['pull stream as a number', '/api/pull', { model: 'qwen3:0.6b', stream: 0 }, 400, 'json: cannot unmarshal number into Go struct field PullRequest.stream of type bool'],
    ['create files as a list', '/api/create', { model: 'x', files: ['a'] }, 400, 'json: cannot unmarshal array into Go struct field CreateRequest.files of type map[string]string'],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });
});

describe('UnmarshalJSON refusals: think (api.ThinkValue), keep_alive (api.Duration, time.ParseDuration), images (base64), tool arguments', () => {
  const withImage = (image: string) => ({ model: 'llava:7b', messages: [{ role: 'user', content: 'what is it?', images: [image] }] });
  it.each<Row>([
    ['think as a number', '/api/chat', { ...ask, think: 1 }, 400, 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)'],
    ['think at an unknown level', '/api/generate', { ...gen, model: 'qwen3:8b', think: 'extreme' }, 400, 'invalid think value: "extreme" (must be "high", "medium", "low", "max", true, or false)'],
    ['keep_alive as a word', '/api/chat', { ...ask, keep_alive: 'forever' }, 400, 'time: invalid duration "forever"'],
    ['keep_alive as a number in a string', '/api/chat', { ...ask, keep_alive: '300' }, 400, 'time: missing unit in duration "300"'],
    ['keep_alive "-1" as a string', '/api/generate', { ...gen, keep_alive: '-1' }, 400, 'time: missing unit in duration "-1"'],
    ['keep_alive with a spelled-out unit', '/api/embed', { model: 'all-minilm', input: 'x', keep_alive: '5 minutes' }, 400, 'time: unknown unit " minutes" in duration "5 minutes"'],
    ['keep_alive as a bool', '/api/chat', { ...ask, keep_alive: true }, 400, "Unsupported type: 'bool'"],
    ['keep_alive as an object', '/api/embeddings', { model: 'all-minilm', prompt: 'x', keep_alive: { m: 5 } }, 400, "Unsupported type: 'map[string]interface {}'"],
    ['an image that is not base64', '/api/chat', withImage('not base64!'), 400, 'illegal base64 data at input byte 3'],
    ['an image cut short', '/api/generate', { model: 'llava:7b', prompt: 'what is it?', images: ['iVBORw0KGgo'] }, 400, 'illegal base64 data at input byte 8'],
    ['an image with a data: prefix', '/api/chat', withImage('data:image/png;base64,iVBORw0KGgo='), 400, 'illegal base64 data at input byte 4'],
    ['images as a string', '/api/generate', { ...gen, images: 'aGk=' }, 400, 'json: cannot unmarshal string into Go struct field GenerateRequest.images of type []api.ImageData'],
    ['tool arguments as a JSON string', '/api/chat', { ...ask, messages: [...ask.messages, { role: 'assistant', content: '', tool_calls: [{ function: { name: 'f', arguments: '{"a":1}' } }] }] }, 400, "Value looks like object, but can't find closing '}' symbol"],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });
});

describe('the handlers own checks, in their order (server/routes.go)', () => {
  it.each<Row>([
    ['top_logprobs over 20, before the model is looked up', '/api/chat', { model: 'ghost', messages: [], top_logprobs: 21 }, 400, 'top_logprobs must be between 0 and 20'],
    ['negative top_logprobs', '/api/generate', { ...gen, top_logprobs: -1 }, 400, 'top_logprobs must be between 0 and 20'],
    ['a malformed model name (chat)', '/api/chat', { model: 'my model', messages: [] }, 400, 'invalid model name'],
    ['a malformed model name (generate)', '/api/generate', { model: 'llama3:', prompt: 'x' }, 400, 'invalid model name'],
    ['a blank model name is an empty one', '/api/chat', { model: '   ', messages: [] }, 400, 'model is required'],
    ['temperature as a string', '/api/chat', { ...ask, options: { temperature: 'hot' } }, 500, 'option "temperature" must be of type float32'],
    ['num_ctx as a string', '/api/generate', { ...gen, options: { num_ctx: '8k' } }, 500, 'option "num_ctx" must be of type integer'],
    ['stop as a string', '/api/chat', { ...ask, options: { stop: '\n' } }, 500, 'option "stop" must be of type array'],
    ['stop with a number', '/api/chat', { ...ask, options: { stop: ['\n', 3] } }, 500, 'option "stop" must be of an array of strings'],
    ['use_mmap as a string', '/api/chat', { ...ask, options: { use_mmap: 'yes' } }, 500, 'option "use_mmap" must be of type boolean'],
    ['options are checked when only loading', '/api/chat', { model: 'llama3.2:3b', messages: [], options: { seed: 'x' } }, 500, 'option "seed" must be of type integer'],
    ['options on embed', '/api/embed', { model: 'all-minilm', input: 'x', options: { num_ctx: true } }, 500, 'option "num_ctx" must be of type integer'],
    ['a format that is neither "json" nor a schema', '/api/generate', { ...gen, format: 'yaml', stream: false }, 500, 'invalid format: "\\"yaml\\""; expected "json" or a valid JSON Schema object'],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });

  it('a streamed request refused by the runner gets gin\'s plain application/json', async () => {
    const r = await post('/api/chat', { ...ask, format: 'yaml' });
    expect([r.status, r.type, r.json.error]).toEqual([500, 'application/json', 'invalid format: "\\"yaml\\""; expected "json" or a valid JSON Schema object']);
  });

  it('unknown options are ignored and fractional integers truncated, as FromMap does', async () => {
    const r = await post('/api/chat', { ...ask, stream: false, options: { colour: 'blue', num_predict: 2.9 } });
    expect([r.status, r.json.eval_count, r.json.done_reason]).toEqual([200, 2, 'length']);
  });
});

describe('names not found or malformed, in each handler\'s words (routes.go, create.go; show prints Name.DisplayShortest)', () => {
  it.each<Row>([
    ['embed', '/api/embed', { model: 'ghost', input: 'x' }, 404, 'model "ghost" not found, try pulling it first'],
    ['legacy embeddings', '/api/embeddings', { model: 'ghost:1b', prompt: 'x' }, 404, 'model "ghost:1b" not found, try pulling it first'],
    ['embed, malformed name', '/api/embed', { model: 'a b', input: 'x' }, 400, 'invalid model name'],
    ['show, bare name', '/api/show', { model: 'ghost' }, 404, "model 'ghost:latest' not found"],
    ['show, namespaced name', '/api/show', { model: 'someone/ghost' }, 404, "model 'someone/ghost:latest' not found"],
    ['show, tagged name', '/api/show', { model: 'ghost:7b' }, 404, "model 'ghost:7b' not found"],
    ['show, malformed name', '/api/show', { model: 'ghost:' }, 400, 'invalid model name'],
    ['pull, malformed name', '/api/pull', { model: 'a b' }, 400, 'invalid model name'],
    ['copy, malformed source', '/api/copy', { source: 'a b', destination: 'c' }, 400, 'source "a b" is invalid'],
    ['delete, no name', '/api/delete', {}, 400, 'model is required'],
    ['create, an absolute file path', '/api/create', { model: 'x', files: { '/tmp/model.gguf': 'sha256:00' } }, 400, 'file path must be relative'],
    ['create, an empty digest', '/api/create', { model: 'x', files: { 'model.gguf': '' } }, 400, 'invalid digest format'],
    ['delete, malformed name', '/api/delete', { model: 'a b' }, 400, 'name "a b" is invalid'],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });
});

describe('/api/embed truncation against the window (EmbedHandler: min(num_ctx, trained length) less BOS and EOS)', () => {
  // all-minilm is trained for 512 tokens: 510 are left for the input.
  const long = 'word '.repeat(1000);
  it.each<Row>([
    ['truncate: false over the window', '/api/embed', { model: 'all-minilm', input: long, truncate: false }, 400, 'the input length exceeds the context length'],
    ['one of several inputs over the window', '/api/embed', { model: 'all-minilm', input: ['short', long], truncate: false }, 400, 'the input length exceeds the context length'],
    ['a window with no room at all', '/api/embed', { model: 'all-minilm', input: 'x', options: { num_ctx: 2 } }, 400, 'input after truncation exceeds maximum context length'],
  ])('%s', async (...row) => {
    await expectRefusal(row);
  });

  it('by default the input is cut to the window, and prompt_eval_count says how much was embedded', async () => {
    const cut = await post('/api/embed', { model: 'all-minilm', input: long });
    expect([cut.status, cut.json.prompt_eval_count]).toEqual([200, 510]);
    const smaller = await post('/api/embed', { model: 'all-minilm', input: long, options: { num_ctx: 100 } });
    expect(smaller.json.prompt_eval_count).toBe(98);
    const short = 'word '.repeat(100);
    const fits = await post('/api/embed', { model: 'all-minilm', input: short, truncate: false });
    expect([fits.status, fits.json.prompt_eval_count]).toEqual([200, countTokens([{ content: short }])]);
  });
});

describe('through the official ollama client', () => {
  it('a wrong option type is a ResponseError 500, a bad keep_alive a 400, a bad image a 400', async () => {
    const ollama = new Ollama({ host: sim.url });
    const option = await ollama.chat({ ...ask, options: { temperature: 'hot' as unknown as number } }).catch((e: unknown) => e);
    expect(option).toMatchObject({ name: 'ResponseError', status_code: 500, message: 'option "temperature" must be of type float32' });
    const keep = await ollama.generate({ ...gen, keep_alive: '10' }).catch((e: unknown) => e);
    expect(keep).toMatchObject({ name: 'ResponseError', status_code: 400, message: 'time: missing unit in duration "10"' });
    const image = await ollama.generate({ model: 'llava:7b', prompt: 'x', images: ['not base64!'] }).catch((e: unknown) => e);
    expect(image).toMatchObject({ name: 'ResponseError', status_code: 400, message: 'illegal base64 data at input byte 3' });
    const embed = await ollama.embed({ model: 'ghost', input: 'x' }).catch((e: unknown) => e);
    expect(embed).toMatchObject({ status_code: 404, message: 'model "ghost" not found, try pulling it first' });
    expectNothingGenerated();
  });

  it('real images (bytes the client encodes) are accepted', async () => {
    const ollama = new Ollama({ host: sim.url });
    const r = await ollama.chat({ model: 'llava:7b', messages: [{ role: 'user', content: 'what is it?', images: [new Uint8Array([137, 80, 78, 71, 13, 10])] }] });
    expect(r.done).toBe(true);
  });
});
