// The OpenAI-compatible layer (/v1/*): requests become native ones, native replies become OpenAI's, as openai.go does.
import type { ServerResponse } from 'node:http';
import type { Exchange, SimContext } from './context.ts';
import { embed } from './endpoints.ts';
import { runGeneration } from './generation.ts';
import type { Responder } from './responder.ts';
import type { WireToolCall } from './tools.ts';
import { ChatCompletionRequest, CompletionRequest, OpenAIEmbedRequest } from './apitypes.ts';
import type { GoType } from './gotypes.ts';
import { displayShortest, modelRefError } from './validation.ts';
import { goTypeOf, nativeMessages, optionsFrom, responseFormat, thinkFrom } from './openai-convert.ts';
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

/** ChoiceLogprobs: a choice carries `logprobs: { content }` only when the native reply has some (omitempty). */
function logprobsOf(native: Json): { logprobs?: { content: unknown[] } } {
  return Array.isArray(native.logprobs) && native.logprobs.length > 0 ? { logprobs: { content: native.logprobs } } : {};
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
        const choice = { index: 0, delta, finish_reason: null, ...logprobsOf(native) };
        if (!sse(res, { ...base(native), choices: [choice] })) return false;
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
              ...logprobsOf(native),
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

/** The middleware binds the body itself and reports any failure, io.EOF included, as err.Error(). */
function parse(ex: Exchange, goType: GoType): { body: Json; raw: Json } | undefined {
  const parsed = parseRequestBody(ex.rawBody, goType, 'EOF');
  if (!parsed.ok) return void sendOpenAIError(ex.res, 400, parsed.message);
  return { body: parsed.value, raw: isRecord(parsed.raw) ? parsed.raw : {} };
}

function streamOptions(body: Json): StreamOptions {
  return {
    stream: body.stream === true,
    includeUsage: isRecord(body.stream_options) && body.stream_options.include_usage === true,
  };
}

/** POST /v1/chat/completions */
export async function handleChatCompletions(ex: Exchange, ctx: SimContext): Promise<void> {
  const parsed = parse(ex, ChatCompletionRequest);
  if (!parsed) return;
  const { body, raw } = parsed;
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
    ...(body.logprobs === true ? { logprobs: true } : {}),
    ...(typeof body.top_logprobs === 'number' ? { top_logprobs: body.top_logprobs } : {}),
  };
  // The tools' schemas as sent: Go's structs keep only the fields Ollama renders, the simulator needs them all.
  await runGeneration('chat', ex, ctx, native, { tools: raw.tools }, chatResponder(ex.res, options));
}

/** POST /v1/completions */
export async function handleCompletions(ex: Exchange, ctx: SimContext): Promise<void> {
  const body = parse(ex, CompletionRequest)?.body;
  if (!body) return;
  const badStop = Array.isArray(body.stop) ? body.stop.find((s) => typeof s !== 'string') : undefined;
  if (Array.isArray(body.stop) && body.stop.some((s) => typeof s !== 'string')) {
    return sendOpenAIError(ex.res, 400, `invalid type for 'stop' field: ${goTypeOf(badStop)}`);
  }
  // FromCompleteRequest: logprobs n > 0 asks for n alternatives per token.
  const logprobs = typeof body.logprobs === 'number' && body.logprobs > 0 ? body.logprobs : 0;
  const options = streamOptions(body);
  const native: Json = {
    model: body.model,
    prompt: typeof body.prompt === 'string' ? body.prompt : '',
    options: optionsFrom(body),
    stream: options.stream,
    ...(typeof body.suffix === 'string' && body.suffix !== '' ? { suffix: body.suffix } : {}),
    ...(logprobs > 0 ? { logprobs: true, top_logprobs: logprobs } : {}),
  };
  await runGeneration('generate', ex, ctx, native, native, completionResponder(ex.res, options));
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
  // RetrieveMiddleware hands the name to ShowHandler, whose refusals say what it looked up.
  const refError = modelRefError(name);
  if (refError) return sendOpenAIError(ex.res, 400, refError);
  const entry = ctx.catalog.find(name);
  if (!entry) return sendOpenAIError(ex.res, 404, `model '${displayShortest(name.trim())}' not found`);
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
  const body = parse(ex, OpenAIEmbedRequest)?.body;
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
