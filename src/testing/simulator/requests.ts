// One /api/chat or /api/generate request checked in the order of Ollama's ChatHandler and GenerateHandler
// (server/routes.go): top_logprobs, the model's name, unload, raw mode, thinking, capabilities, options.
import type { SimContext } from './context.ts';
import type { ModelEntry } from './models.ts';
import { hasFormat } from './replies.ts';
import type { Responder } from './responder.ts';
import { readTools } from './tools.ts';
import type { SimMessage, SimTool, SimToolCall } from './types.ts';
import { modelRefError, optionError, topLogprobsError } from './validation.ts';
import { notFoundMessage } from './wire.ts';

export type Endpoint = 'chat' | 'generate';

export type ThinkLevel = 'low' | 'medium' | 'high';

export interface Checked {
  body: Record<string, unknown>;
  model: string;
  entry: ModelEntry;
  /** Chat without messages (generate without a prompt) and keep_alive 0: unload, nothing else is checked. */
  unload: boolean;
  messages: SimMessage[];
  tools: SimTool[];
  think: boolean;
  /** gpt-oss only (harmony): its reasoning effort; the trace cannot be turned off. */
  thinkLevel?: ThinkLevel;
  prompt?: string;
  stream: boolean;
  /** logprobs asked for, and how many alternatives per token (0–20). */
  logprobs: boolean;
  topLogprobs: number;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ThinkValue.Bool(): true, or any level. */
function thinkOn(think: unknown): boolean {
  return think === true || typeof think === 'string';
}

/** gpt-oss goes through the harmony parser, which ignores true/false and maps "max" to "high" (routes.go). */
function harmonyLevel(think: unknown): ThinkLevel {
  if (think === 'low' || think === 'high') return think;
  return think === 'max' ? 'high' : 'medium';
}

/** The name Ollama's capability errors print: the fully qualified registry name. */
export function qualifiedName(fullName: string): string {
  const slashes = fullName.split('/').length - 1;
  if (slashes === 0) return `registry.ollama.ai/library/${fullName}`;
  return slashes === 1 ? `registry.ollama.ai/${fullName}` : fullName;
}

function readToolCalls(value: unknown): SimToolCall[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const calls: SimToolCall[] = [];
  for (const call of value) {
    if (!isRecord(call) || !isRecord(call.function) || typeof call.function.name !== 'string') continue;
    const fn = call.function;
    calls.push({
      ...(typeof call.id === 'string' ? { id: call.id } : {}),
      function: {
        ...(typeof fn.index === 'number' ? { index: fn.index } : {}),
        name: fn.name as string,
        arguments: isRecord(fn.arguments) ? fn.arguments : {},
      },
    });
  }
  return calls.length > 0 ? calls : undefined;
}

/** A decoded api.Message (role already lower-cased); tool fields kept for scripts. */
function readMessage(m: Record<string, unknown>): SimMessage {
  const toolCalls = readToolCalls(m.tool_calls);
  return {
    role: typeof m.role === 'string' ? m.role : '',
    content: typeof m.content === 'string' ? m.content : '',
    ...(typeof m.thinking === 'string' && m.thinking !== '' ? { thinking: m.thinking } : {}),
    ...(toolCalls ? { tool_calls: toolCalls } : {}),
    ...(typeof m.tool_name === 'string' && m.tool_name !== '' ? { tool_name: m.tool_name } : {}),
    ...(Array.isArray(m.images) && m.images.length > 0 ? { images: m.images.filter((i): i is string => typeof i === 'string') } : {}),
  };
}

/**
 * Checks a decoded body (`raw`: the same body as sent, for the tools' full JSON Schemas, which Go's structs would
 * trim) and answers the refusal itself; undefined when it answered.
 */
export function check(endpoint: Endpoint, body: Record<string, unknown>, raw: unknown, ctx: SimContext, out: Responder): Checked | undefined {
  const rangeError = topLogprobsError(body.top_logprobs);
  if (rangeError) return void out.fail(400, rangeError);
  const model = typeof body.model === 'string' ? body.model : '';
  const refError = modelRefError(model);
  // The two handlers answer an empty name differently: chat says it is required, generate cannot find it.
  if (refError === 'invalid model name') return void out.fail(400, refError);
  if (refError) return void (endpoint === 'chat' ? out.fail(400, refError) : out.fail(404, notFoundMessage(model)));
  const entry = ctx.catalog.find(model);
  ctx.stats.modelRequest(entry?.name ?? model);
  if (!entry) return void out.fail(404, notFoundMessage(model));
  const messages: SimMessage[] = endpoint === 'chat' ? ((body.messages as unknown[] | undefined) ?? []).filter(isRecord).map(readMessage) : [];
  const prompt = typeof body.prompt === 'string' ? body.prompt : '';
  const base = {
    body,
    model,
    entry,
    messages,
    tools: [],
    think: false,
    stream: body.stream !== false,
    logprobs: body.logprobs === true,
    topLogprobs: typeof body.top_logprobs === 'number' ? body.top_logprobs : 0,
    ...(endpoint === 'generate' ? { prompt } : {}),
  };
  const empty = endpoint === 'chat' ? messages.length === 0 : prompt === '';
  if (empty && body.keep_alive === 0) return { ...base, unload: true };
  const rawMode = endpoint === 'generate' && body.raw === true;
  const hasContext = Array.isArray(body.context) && body.context.length > 0;
  if (rawMode && ((typeof body.template === 'string' && body.template !== '') || (typeof body.system === 'string' && body.system !== '') || hasContext)) {
    return void out.fail(400, 'raw mode does not support template, system, or context');
  }
  const thinks = entry.capabilities.includes('thinking');
  if (!thinks && thinkOn(body.think)) return void out.fail(400, `${JSON.stringify(model)} does not support thinking`);
  if (!entry.capabilities.includes('completion')) return void out.fail(400, `${JSON.stringify(model)} does not support ${endpoint}`);
  // A suffix asks for fill-in-the-middle, which needs the insert capability (scheduleRunner's check).
  if (endpoint === 'generate' && typeof body.suffix === 'string' && body.suffix !== '' && !entry.capabilities.includes('insert')) {
    return void out.fail(400, `${qualifiedName(entry.fullName)} does not support insert`);
  }
  const tools = endpoint === 'chat' && isRecord(raw) ? readTools(raw.tools) : [];
  if (Array.isArray(body.tools) && body.tools.length > 0 && !entry.capabilities.includes('tools')) {
    return void out.fail(400, `${qualifiedName(entry.fullName)} does not support tools`);
  }
  const badOption = optionError(isRecord(body.options) ? body.options : undefined);
  if (badOption) return void out.fail(500, badOption);
  // The runner refuses any other format once the model is loaded (llm/llama_server.go); a streamed request gets
  // it as the first line's status, with gin's plain content type.
  const format = body.format;
  if (format !== undefined && format !== null && format !== '' && !hasFormat(format)) {
    const text = `invalid format: ${JSON.stringify(JSON.stringify(format))}; expected "json" or a valid JSON Schema object`;
    return void out.fail(500, text, body.stream !== false ? 'application/json' : undefined);
  }
  if (endpoint === 'generate') {
    if (typeof body.system === 'string' && body.system !== '') messages.push({ role: 'system', content: body.system });
    else if (!rawMode && entry.system !== undefined) messages.push({ role: 'system', content: entry.system });
    if (prompt !== '') messages.push({ role: 'user', content: prompt });
  } else if (entry.system !== undefined && messages.length > 0 && messages[0]?.role !== 'system') {
    // A created model's SYSTEM goes first unless the conversation brings its own.
    messages.unshift({ role: 'system', content: entry.system });
  }
  const harmony = thinks && entry.details.family === 'gptoss';
  return {
    ...base,
    unload: false,
    tools,
    // Thinking is on when `think` is omitted and the model can think (req.Think == nil); gpt-oss always thinks.
    think: harmony || (thinks && (body.think === undefined || thinkOn(body.think))),
    ...(harmony ? { thinkLevel: harmonyLevel(body.think) } : {}),
  };
}
