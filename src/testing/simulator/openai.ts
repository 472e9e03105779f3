// The OpenAI-compatible layer (/v1/*): requests become native ones, native replies become OpenAI's, as openai.go does.
import type { ServerResponse } from 'node:http';
import type { Exchange, SimContext } from './context.ts';
import { embed } from './endpoints.ts';
import { runGeneration } from './generation.ts';
import type { Responder } from './responder.ts';
import type { WireToolCall } from './tools.ts';
import { parseRequestBody, sendJson } from './wire.ts';

/** openai.go sets plain application/json itself, so gin keeps it (no charset). */
const JSON_PLAIN = 'application/json';
const SSE_TYPE = 'text/event-stream';
const FINGERPRINT = 'fp_ollama';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** openai.NewError: the type follows the status; param and code are always null. */
export function sendOpenAIError(res: ServerResponse, status: number, message: string): void {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  sendJson(res, status, { error: { message, type, param: null, code: null } }, JSON_PLAIN);
}

/** Ollama's ids: `chatcmpl-<0..998>` / `cmpl-<0..998>` (rand.Intn(999)). */
function openaiId(prefix: string): string {
  return `${prefix}-${Math.floor(Math.random() * 999)}`;
}

function unixSeconds(iso: unknown): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

/** ToToolCalls: arguments become a JSON string, the index moves up next to the id. */
function toOpenAIToolCalls(calls: unknown) {
  if (!Array.isArray(calls) || calls.length === 0) return undefined;
  return (calls as WireToolCall[]).map((call) => ({
    id: call.id,
    index: call.function.index,
    type: 'function',
    function: { name: call.function.name, arguments: JSON.stringify(call.function.arguments) },
  }));
}

function usageOf(native: Json) {
  const prompt = typeof native.prompt_eval_count === 'number' ? native.prompt_eval_count : 0;
  const completion = typeof native.eval_count === 'number' ? native.eval_count : 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function finishReason(native: Json, toolCallSent: boolean): string | null {
  const reason = typeof native.done_reason === 'string' && native.done_reason !== '' ? native.done_reason : null;
  return reason === 'stop' && toolCallSent ? 'tool_calls' : reason;
}

interface StreamOptions {
  stream: boolean;
  includeUsage: boolean;
}

/** Server-sent events as Ollama writes them: `data: {...}\n\n`, ending with `data: [DONE]`. */
function sse(res: ServerResponse, value: unknown): boolean {
  if (res.destroyed || res.writableEnded) return false;
  if (!res.headersSent) res.writeHead(200, { 'Content-Type': SSE_TYPE });
  res.write(`data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`);
  return !res.destroyed;
}

/** middleware.ChatWriter: native chat objects in, chat.completion (or its chunks) out. */
function chatResponder(res: ServerResponse, options: StreamOptions): Responder {
  const id = openaiId('chatcmpl');
  let created: number | undefined;
  let firstSent = false;
  let toolCallSent = false;
  const base = (native: Json) => {
    created ??= unixSeconds(native.created_at);
    return { id, object: 'chat.completion.chunk', created, model: native.model, system_fingerprint: FINGERPRINT };
  };
  return {
    res,
    fail: (status, message) => sendOpenAIError(res, status, message),
    line: (native) => {
      const message = isRecord(native.message) ? native.message : {};
      const content = typeof message.content === 'string' ? message.content : '';
      const thinking = typeof message.thinking === 'string' ? message.thinking : '';
      const toolCalls = toOpenAIToolCalls(message.tool_calls);
      // The metrics-only done line makes no content chunk (unless nothing was sent yet).
      const emptyTrailer = native.done === true && firstSent && content === '' && thinking === '' && !toolCalls;
      if (!emptyTrailer) {
        const delta = {
          ...(firstSent ? {} : { role: 'assistant' }),
          content,
          ...(thinking ? { reasoning: thinking } : {}),
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        };
        if (!sse(res, { ...base(native), choices: [{ index: 0, delta, finish_reason: null }] })) return false;
        if (toolCalls) toolCallSent = true;
        firstSent = true;
      }
      if (native.done !== true) return true;
      const finish = { ...base(native), choices: [{ index: 0, delta: {}, finish_reason: finishReason(native, toolCallSent) ?? 'stop' }] };
      sse(res, finish);
      if (options.includeUsage) sse(res, { ...finish, choices: [], usage: usageOf(native) });
      return sse(res, '[DONE]');
    },
    // Ollama's writer reads a mid-stream error line as an empty chat response: one empty chunk, no [DONE].
    streamError: () => void sse(res, { ...base({}), choices: [{ index: 0, delta: { content: '' }, finish_reason: null }] }),
    whole: (native) => {
      const message = isRecord(native.message) ? native.message : {};
      const toolCalls = toOpenAIToolCalls(message.tool_calls);
      sendJson(
        res,
        200,
        {
          id,
          object: 'chat.completion',
          created: unixSeconds(native.created_at),
          model: native.model,
          system_fingerprint: FINGERPRINT,
          choices: [
            {
              index: 0,
              message: {
                role: typeof message.role === 'string' ? message.role : 'assistant',
                content: typeof message.content === 'string' ? message.content : '',
                ...(typeof message.thinking === 'string' && message.thinking !== '' ? { reasoning: message.thinking } : {}),
                ...(toolCalls ? { tool_calls: toolCalls } : {}),
              },
              finish_reason: finishReason(native, toolCalls !== undefined),
            },
          ],
          usage: usageOf(native),
        },
        JSON_PLAIN,
      );
    },
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}

/** middleware.CompleteWriter: native generate objects in, text_completion (or its chunks) out. */
function completionResponder(res: ServerResponse, options: StreamOptions): Responder {
  const id = openaiId('cmpl');
  const choice = (native: Json) => ({
    text: typeof native.response === 'string' ? native.response : '',
    index: 0,
    finish_reason: finishReason(native, false),
  });
  return {
    res,
    fail: (status, message) => sendOpenAIError(res, status, message),
    line: (native) => {
      const chunk = {
        id,
        object: 'text_completion',
        created: Math.floor(Date.now() / 1000),
        choices: [choice(native)],
        model: native.model,
        system_fingerprint: FINGERPRINT,
        // With include_usage every chunk carries a zero usage; the real one follows the last chunk.
        ...(options.includeUsage ? { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } } : {}),
      };
      if (!sse(res, chunk)) return false;
      if (native.done !== true) return true;
      if (options.includeUsage) sse(res, { ...chunk, choices: [], usage: usageOf(native) });
      return sse(res, '[DONE]');
    },
    streamError: () => void sse(res, { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), choices: [{ text: '', index: 0, finish_reason: null }], model: '', system_fingerprint: FINGERPRINT }),
    whole: (native) =>
      sendJson(
        res,
        200,
        {
          id,
          object: 'text_completion',
          created: unixSeconds(native.created_at),
          model: native.model,
          system_fingerprint: FINGERPRINT,
          choices: [choice(native)],
          usage: usageOf(native),
        },
        JSON_PLAIN,
      ),
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}

function parse(ex: Exchange, goType: string): Json | undefined {
  const parsed = parseRequestBody(ex.body, goType);
  if (!parsed.ok) return void sendOpenAIError(ex.res, 400, parsed.message.replace('api.', 'openai.'));
  return parsed.value;
}

function streamOptions(body: Json): StreamOptions {
  return {
    stream: body.stream === true,
    includeUsage: isRecord(body.stream_options) && body.stream_options.include_usage === true,
  };
}

/** Options as FromChatRequest/FromCompleteRequest set them: temperature and top_p default to 1. */
function optionsFrom(body: Json): Json {
  const options: Json = {};
  if (typeof body.stop === 'string') options.stop = [body.stop];
  else if (Array.isArray(body.stop)) options.stop = body.stop.filter((s) => typeof s === 'string');
  if (typeof body.max_tokens === 'number') options.num_predict = body.max_tokens;
  options.temperature = typeof body.temperature === 'number' ? body.temperature : 1;
  if (typeof body.seed === 'number') options.seed = body.seed;
  if (typeof body.frequency_penalty === 'number') options.frequency_penalty = body.frequency_penalty;
  if (typeof body.presence_penalty === 'number') options.presence_penalty = body.presence_penalty;
  options.top_p = typeof body.top_p === 'number' && body.top_p !== 0 ? body.top_p : 1;
  return options;
}

/** thinkFromReasoningEffort: OpenAI's efforts clamp to Ollama's levels; "" keeps the model's default. */
function thinkFrom(body: Json): { think?: unknown; error?: string } {
  const effort = isRecord(body.reasoning) && typeof body.reasoning.effort === 'string'
    ? body.reasoning.effort
    : typeof body.reasoning_effort === 'string' ? body.reasoning_effort : '';
  switch (effort) {
    case '':
      return {};
    case 'none':
      return { think: false };
    case 'minimal':
      return { think: 'low' };
    case 'low':
    case 'medium':
    case 'high':
    case 'max':
      return { think: effort };
    case 'xhigh':
    case 'ultra':
      return { think: 'max' };
    default:
      return {
        error: `invalid reasoning value: ${JSON.stringify(effort)} (must be "minimal", "low", "medium", "high", "xhigh", "ultra", "max", or "none")`,
      };
  }
}

/** FromCompletionToolCall: string arguments parse back into objects. */
function fromOpenAIToolCalls(value: unknown): Json[] | string {
  if (!Array.isArray(value)) return [];
  const calls: Json[] = [];
  for (const [i, call] of value.entries()) {
    if (!isRecord(call) || !isRecord(call.function)) continue;
    const raw = call.function.arguments;
    let args: unknown = {};
    if (typeof raw === 'string' && raw !== '') {
      try {
        args = JSON.parse(raw);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      }
    }
    calls.push({
      ...(typeof call.id === 'string' ? { id: call.id } : {}),
      function: { index: typeof call.index === 'number' ? call.index : i, name: call.function.name, arguments: args },
    });
  }
  return calls;
}

/** FromChatRequest's message conversion; a string is the error to answer with. */
function nativeMessages(messages: unknown[]): Json[] | string {
  const out: Json[] = [];
  for (const raw of messages) {
    if (!isRecord(raw)) return 'invalid message format';
    const role = typeof raw.role === 'string' ? raw.role : '';
    let toolName = '';
    if (role.toLowerCase() === 'tool') {
      toolName = typeof raw.name === 'string' ? raw.name : '';
      if (toolName === '' && typeof raw.tool_call_id === 'string') {
        // The tool's name comes from the assistant call with that id (last one wins).
        for (const m of [...messages].reverse()) {
          const hit = isRecord(m) && Array.isArray(m.tool_calls)
            ? m.tool_calls.find((c: unknown) => isRecord(c) && c.id === raw.tool_call_id)
            : undefined;
          if (isRecord(hit) && isRecord(hit.function) && typeof hit.function.name === 'string') {
            toolName = hit.function.name;
            break;
          }
        }
      }
    }
    const toolCalls = fromOpenAIToolCalls(raw.tool_calls);
    if (typeof toolCalls === 'string') return toolCalls;
    const extra = {
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      ...(toolName !== '' ? { tool_name: toolName } : {}),
      ...(typeof raw.reasoning === 'string' && raw.reasoning !== '' ? { thinking: raw.reasoning } : {}),
    };
    if (typeof raw.content === 'string') {
      out.push({ role, content: raw.content, ...extra });
    } else if (Array.isArray(raw.content)) {
      for (const part of raw.content) {
        if (!isRecord(part)) return 'invalid message format';
        if (part.type === 'text' && typeof part.text === 'string') out.push({ role, content: part.text });
        else if (part.type === 'image_url') out.push({ role, content: '', images: [] });
        else return 'invalid message format';
      }
      const last = out.at(-1);
      if (last && toolCalls.length > 0) Object.assign(last, extra);
    } else if (raw.tool_calls !== undefined && raw.tool_calls !== null) {
      out.push({ role, content: '', ...extra });
    } else {
      return `invalid message content type: ${raw.content === undefined || raw.content === null ? '<nil>' : typeof raw.content}`;
    }
  }
  return out;
}

/** POST /v1/chat/completions */
export async function handleChatCompletions(ex: Exchange, ctx: SimContext): Promise<void> {
  const body = parse(ex, 'ChatCompletionRequest');
  if (!body) return;
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return sendOpenAIError(ex.res, 400, "[] is too short - 'messages'");
  }
  const messages = nativeMessages(body.messages);
  if (typeof messages === 'string') return sendOpenAIError(ex.res, 400, messages);
  const think = thinkFrom(body);
  if (think.error) return sendOpenAIError(ex.res, 400, think.error);
  const format = isRecord(body.response_format) ? responseFormat(body.response_format) : undefined;
  const options = streamOptions(body);
  const native: Json = {
    model: body.model,
    messages,
    options: optionsFrom(body),
    stream: options.stream,
    ...(Array.isArray(body.tools) ? { tools: body.tools } : {}),
    ...(format !== undefined ? { format } : {}),
    ...('think' in think ? { think: think.think } : {}),
  };
  await runGeneration('chat', ex, ctx, native, chatResponder(ex.res, options));
}

/** response_format: json_object → "json", json_schema → its schema, anything else → no format. */
function responseFormat(format: Json): unknown {
  const type = typeof format.type === 'string' ? format.type.trim().toLowerCase() : '';
  if (type === 'json_object') return 'json';
  if (type === 'json_schema' && isRecord(format.json_schema)) return format.json_schema.schema;
  return undefined;
}

/** POST /v1/completions */
export async function handleCompletions(ex: Exchange, ctx: SimContext): Promise<void> {
  const body = parse(ex, 'CompletionRequest');
  if (!body) return;
  if (Array.isArray(body.stop) && body.stop.some((s) => typeof s !== 'string')) {
    const bad = body.stop.find((s) => typeof s !== 'string');
    const goType = typeof bad === 'number' ? 'float64' : typeof bad === 'boolean' ? 'bool' : 'map[string]interface {}';
    return sendOpenAIError(ex.res, 400, `invalid type for 'stop' field: ${goType}`);
  }
  const options = streamOptions(body);
  const native: Json = {
    model: body.model,
    prompt: typeof body.prompt === 'string' ? body.prompt : '',
    options: optionsFrom(body),
    stream: options.stream,
    ...(typeof body.suffix === 'string' && body.suffix !== '' ? { suffix: body.suffix } : {}),
  };
  await runGeneration('generate', ex, ctx, native, completionResponder(ex.res, options));
}

function modelObject(id: string, modifiedAt: string) {
  // ParseName(id).Namespace: "library" for a plain name.
  const path = id.slice(0, id.lastIndexOf(':') >= 0 ? id.lastIndexOf(':') : id.length).split('/');
  const owner = path.length >= 2 ? (path.at(-2) ?? 'library') : 'library';
  return { id, object: 'model', created: unixSeconds(modifiedAt), owned_by: owner };
}

/** GET /v1/models */
export function handleModels(ex: Exchange, ctx: SimContext): void {
  const data = ctx.catalog.list().map((entry) => modelObject(entry.fullName, entry.modifiedAt));
  // Go marshals an empty (nil) slice as null.
  sendJson(ex.res, 200, { object: 'list', data: data.length > 0 ? data : null }, JSON_PLAIN);
}

/** GET /v1/models/:model */
export function handleModel(ex: Exchange, ctx: SimContext): void {
  const name = decodeURIComponent(ex.param);
  const entry = ctx.catalog.find(name);
  if (!entry) return sendOpenAIError(ex.res, 404, `model '${name}' not found`);
  sendJson(ex.res, 200, modelObject(name, entry.modifiedAt), JSON_PLAIN);
}

/** Little-endian float32s in base64, as floatsToBase64 writes them. */
function base64Floats(values: number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString('base64');
}

/** POST /v1/embeddings */
export async function handleEmbeddings(ex: Exchange, ctx: SimContext): Promise<void> {
  const body = parse(ex, 'EmbedRequest');
  if (!body) return;
  const encoding = typeof body.encoding_format === 'string' ? body.encoding_format : '';
  if (encoding !== '' && !['float', 'base64'].includes(encoding.toLowerCase())) {
    return sendOpenAIError(ex.res, 400, `Invalid value for 'encoding_format' = ${encoding}. Supported values: ['float', 'base64'].`);
  }
  const input = body.input === '' ? [''] : body.input;
  if (input === undefined || input === null || (Array.isArray(input) && input.length === 0)) {
    return sendOpenAIError(ex.res, 400, 'invalid input');
  }
  const model = typeof body.model === 'string' ? body.model : '';
  const native: Json = { model, input, ...(typeof body.dimensions === 'number' ? { dimensions: body.dimensions } : {}) };
  await embed(ex, ctx, native, false, (status, value) => {
    if (status !== 200) return sendOpenAIError(ex.res, status, typeof value.error === 'string' ? value.error : 'error');
    const vectors = Array.isArray(value.embeddings) ? (value.embeddings as number[][]) : [];
    const tokens = typeof value.prompt_eval_count === 'number' ? value.prompt_eval_count : 0;
    sendJson(
      ex.res,
      200,
      {
        object: 'list',
        data: vectors.map((vector, index) => ({
          object: 'embedding',
          embedding: encoding.toLowerCase() === 'base64' ? base64Floats(vector) : vector,
          index,
        })),
        model,
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      },
      JSON_PLAIN,
    );
  });
}
