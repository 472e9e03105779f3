// One /api/chat or /api/generate request, from its body to the done line: checks, faults, queueing, load, streaming.
import { hashString } from '../../util/random.ts';
import { watchExchange as watch, type Exchange, type SimContext } from './context.ts';
import { drawFault } from './faults.ts';
import type { ModelEntry } from './models.ts';
import { QueueFullError, type Release } from './queue.ts';
import { hasFormat, planReply, toolCallTokens, type Reply } from './replies.ts';
import { fitPrompt, numCtxFor } from './prompt.ts';
import { nativeResponder, type Responder } from './responder.ts';
import { readTools } from './tools.ts';
import { keepAliveMs, sleep, untilAborted } from './time.ts';
import type { CompletedRequest, ScriptedReply, SimMessage, SimRequest, SimTool, SimToolCall } from './types.ts';
import {
  BUSY_MESSAGE,
  createdAt,
  fieldTypeError,
  MIDSTREAM_MESSAGE,
  notFoundMessage,
  nsSince,
  parseRequestBody,
  RUNNER_CRASH_MESSAGE,
} from './wire.ts';

export type Endpoint = 'chat' | 'generate';

interface Checked {
  body: Record<string, unknown>;
  model: string;
  entry: ModelEntry;
  messages: SimMessage[];
  tools: SimTool[];
  think: boolean;
  prompt?: string;
  stream: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const THINK_LEVELS = ['high', 'medium', 'low', 'max'];

/** api.ThinkValue's unmarshal errors, word for word; undefined when `think` is absent or valid. */
function thinkError(think: unknown): string | undefined {
  if (think === undefined || think === null || typeof think === 'boolean') return undefined;
  if (typeof think === 'string') {
    if (THINK_LEVELS.includes(think)) return undefined;
    return `invalid think value: ${JSON.stringify(think)} (must be "high", "medium", "low", "max", true, or false)`;
  }
  return 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)';
}

/** A level string means thinking on (gpt-oss reads the level; other thinking models just think). */
function thinkOn(think: unknown): boolean {
  return think === true || (typeof think === 'string' && THINK_LEVELS.includes(think));
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

/** A chat message as api.Message reads it: the role lower-cased, tool fields kept for scripts. */
function readMessage(m: Record<string, unknown>): SimMessage {
  const toolCalls = readToolCalls(m.tool_calls);
  return {
    role: String(m.role ?? '').toLowerCase(),
    content: typeof m.content === 'string' ? m.content : '',
    ...(typeof m.thinking === 'string' && m.thinking !== '' ? { thinking: m.thinking } : {}),
    ...(toolCalls ? { tool_calls: toolCalls } : {}),
    ...(typeof m.tool_name === 'string' && m.tool_name !== '' ? { tool_name: m.tool_name } : {}),
    ...(Array.isArray(m.images) && m.images.length > 0 ? { images: m.images.filter((i): i is string => typeof i === 'string') } : {}),
  };
}

/** Validates the request as Ollama does, in its order, answering the error itself; undefined when it answered. */
function check(
  endpoint: Endpoint,
  body: Record<string, unknown>,
  ctx: SimContext,
  out: Responder,
): Checked | undefined {
  const goType = endpoint === 'chat' ? 'ChatRequest' : 'GenerateRequest';
  const typeError =
    fieldTypeError(body, 'model', 'string', goType) ??
    (endpoint === 'chat'
      ? fieldTypeError(body, 'messages', 'array', goType)
      : (fieldTypeError(body, 'prompt', 'string', goType) ?? fieldTypeError(body, 'system', 'string', goType))) ??
    fieldTypeError(body, 'stream', 'bool', goType) ??
    fieldTypeError(body, 'options', 'object', goType) ??
    thinkError(body.think);
  if (typeError) return void out.fail(400, typeError);
  const model = typeof body.model === 'string' ? body.model : '';
  // The two handlers answer an empty name differently: chat says it is required, generate cannot find it.
  if (model === '') return void (endpoint === 'chat' ? out.fail(400, 'model is required') : out.fail(404, notFoundMessage('')));
  const entry = ctx.catalog.find(model);
  ctx.stats.modelRequest(entry?.name ?? model);
  if (!entry) return void out.fail(404, notFoundMessage(model));
  const raw = endpoint === 'generate' && body.raw === true;
  const hasContext = Array.isArray(body.context) && body.context.length > 0;
  if (raw && ((typeof body.template === 'string' && body.template !== '') || (typeof body.system === 'string' && body.system !== '') || hasContext)) {
    return void out.fail(400, 'raw mode does not support template, system, or context');
  }
  const thinks = entry.capabilities.includes('thinking');
  if (!thinks && thinkOn(body.think)) return void out.fail(400, `${JSON.stringify(model)} does not support thinking`);
  if (!entry.capabilities.includes('completion')) {
    return void out.fail(400, `${JSON.stringify(model)} does not support ${endpoint}`);
  }
  // A suffix asks for fill-in-the-middle, which needs the insert capability (scheduleRunner's check).
  if (endpoint === 'generate' && typeof body.suffix === 'string' && body.suffix !== '' && !entry.capabilities.includes('insert')) {
    return void out.fail(400, `${qualifiedName(entry.fullName)} does not support insert`);
  }
  const tools = endpoint === 'chat' ? readTools(body.tools) : [];
  if (Array.isArray(body.tools) && body.tools.length > 0 && !entry.capabilities.includes('tools')) {
    return void out.fail(400, `${qualifiedName(entry.fullName)} does not support tools`);
  }
  const format = body.format;
  if (format !== undefined && format !== null && format !== '' && !hasFormat(format)) {
    const rawFormat = JSON.stringify(JSON.stringify(format));
    return void out.fail(500, `invalid format: ${rawFormat}; expected "json" or a valid JSON Schema object`);
  }
  const messages: SimMessage[] = [];
  if (endpoint === 'chat') {
    for (const m of (body.messages as unknown[] | undefined) ?? []) {
      if (!isRecord(m)) {
        return void out.fail(400, `json: cannot unmarshal ${typeof m} into Go struct field ChatRequest.messages of type api.Message`);
      }
      messages.push(readMessage(m));
    }
  } else {
    if (typeof body.system === 'string' && body.system !== '') messages.push({ role: 'system', content: body.system });
    else if (!raw && entry.system !== undefined) messages.push({ role: 'system', content: entry.system });
    if (typeof body.prompt === 'string' && body.prompt !== '') messages.push({ role: 'user', content: body.prompt });
  }
  // A created model's SYSTEM goes first unless the conversation brings its own.
  if (endpoint === 'chat' && entry.system !== undefined && messages.length > 0 && messages[0]?.role !== 'system') {
    messages.unshift({ role: 'system', content: entry.system });
  }
  return {
    body,
    model,
    entry,
    messages,
    tools,
    // Ollama turns thinking on when `think` is omitted and the model can think (routes.go: req.Think == nil).
    think: thinks && (body.think === undefined || body.think === null || thinkOn(body.think)),
    ...(endpoint === 'generate' ? { prompt: typeof body.prompt === 'string' ? body.prompt : '' } : {}),
    stream: body.stream !== false,
  };
}

function scriptFor(ctx: SimContext, model: string, entry: ModelEntry): ScriptedReply | undefined {
  return ctx.script[model] ?? ctx.script[entry.name] ?? ctx.script[entry.fullName] ?? ctx.script['*'];
}

/** Chat and generate differ only in where the text goes. */
function piece(endpoint: Endpoint, model: string, content: string, extra: { thinking?: string; tool_calls?: Reply['toolCalls'] } = {}) {
  const thinking = extra.thinking ? { thinking: extra.thinking } : {};
  return endpoint === 'chat'
    ? {
        model,
        created_at: createdAt(),
        message: { role: 'assistant', content, ...thinking, ...(extra.tool_calls ? { tool_calls: extra.tool_calls } : {}) },
      }
    : { model, created_at: createdAt(), response: content, ...thinking };
}

/** Chat with no messages, or generate with no prompt, loads (or with keep_alive 0 unloads) the model. */
async function loadOnly(endpoint: Endpoint, ex: Exchange, ctx: SimContext, checked: Checked, out: Responder): Promise<void> {
  const keep = keepAliveMs(checked.body.keep_alive);
  const w = watch(ex, ctx, false);
  try {
    if (keep === 0) ctx.scheduler.unload(checked.entry);
    else {
      const options = isRecord(checked.body.options) ? checked.body.options : undefined;
      await ctx.scheduler.ensureLoaded(checked.entry, w.signal, numCtxFor(checked.entry, options, ctx.contextLength));
      ctx.scheduler.keepAlive(checked.entry, keep);
    }
    const reason = keep === 0 ? 'unload' : 'load';
    out.whole({ ...piece(endpoint, checked.model, ''), done: true, done_reason: reason });
  } catch {
    // The client left while the model loaded.
  } finally {
    w.dispose();
  }
}

/** /api/chat and /api/generate: the body as sent, answered in Ollama's own format. */
export function handleGeneration(endpoint: Endpoint, ex: Exchange, ctx: SimContext): Promise<void> {
  const out = nativeResponder(ex.res);
  const parsed = parseRequestBody(ex.body, endpoint === 'chat' ? 'ChatRequest' : 'GenerateRequest');
  if (!parsed.ok) return Promise.resolve(out.fail(400, parsed.message));
  return runGeneration(endpoint, ex, ctx, parsed.value, out);
}

/** One generation from an already parsed native body; `out` decides the wire format (native or OpenAI). */
export async function runGeneration(
  endpoint: Endpoint,
  ex: Exchange,
  ctx: SimContext,
  body: Record<string, unknown>,
  out: Responder,
): Promise<void> {
  const checked = check(endpoint, body, ctx, out);
  if (!checked) return;
  const empty = endpoint === 'chat' ? checked.messages.length === 0 : checked.prompt === '';
  if (empty) return loadOnly(endpoint, ex, ctx, checked, out);
  const { entry, messages, model } = checked;
  const identity = JSON.stringify([entry.fullName, messages, body.format ?? null]);
  const key = `${hashString(identity)}:${identity.length}`;
  const attempt = (ctx.attempts.get(key) ?? 0) + 1;
  ctx.attempts.set(key, attempt);
  const options = isRecord(body.options) ? body.options : undefined;
  // What the model sees under its num_ctx: Ollama cuts a prompt that is too long without a word to the client.
  const fit = fitPrompt({
    entry,
    messages,
    tools: checked.tools,
    think: checked.think,
    ...(endpoint === 'generate' && body.raw === true ? { raw: checked.prompt ?? '' } : {}),
    options,
    serverDefault: ctx.contextLength,
  });
  if (fit.truncated) ctx.stats.truncation();
  const request: SimRequest = {
    endpoint,
    model,
    messages: structuredClone(fit.messages),
    ...(checked.tools.length > 0 ? { tools: structuredClone(checked.tools) } : {}),
    think: checked.think,
    ...(checked.prompt !== undefined ? { prompt: fit.prompt ?? checked.prompt } : {}),
    ...(body.format !== undefined ? { format: body.format } : {}),
    ...(options ? { options } : {}),
    stream: checked.stream,
    attempt,
    numCtx: fit.numCtx,
    promptTokens: fit.promptTokens,
    truncated: fit.truncated,
  };
  const w = watch(ex, ctx, true);
  try {
    let reply: Reply;
    try {
      reply = await planReply({
        request,
        model: entry.fullName,
        seed: ctx.seed,
        replyTokens: ctx.replyTokens,
        script: scriptFor(ctx, model, entry),
        drawnFault: drawFault(ctx.faultRates, ctx.seed, identity, attempt),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (!w.signal.aborted) out.fail(500, `simulator script failed: ${reason}`);
      return;
    }
    if (w.signal.aborted) return;
    const fault = reply.fault;
    if (fault === '500' || fault === '503') {
      ctx.stats.fault(fault);
      return out.fail(Number(fault), fault === '500' ? RUNNER_CRASH_MESSAGE : BUSY_MESSAGE);
    }
    if (fault === 'reset') {
      ctx.stats.fault(fault);
      w.resetByUs();
      ex.req.socket.destroy();
      return;
    }
    let release: Release;
    try {
      release = await ctx.scheduler.acquire(entry.fullName, w.signal);
    } catch (error) {
      if (error instanceof QueueFullError) out.fail(503, BUSY_MESSAGE);
      return;
    }
    ctx.stats.started();
    try {
      await generate(endpoint, ex, ctx, checked, request, reply, w.signal, out);
    } catch (error) {
      // A client that went away, or a closing simulator, needs no answer; anything else is a bug to surface.
      if (!w.signal.aborted) {
        const reason = error instanceof Error ? error.message : String(error);
        if (ex.res.headersSent) ex.res.destroy();
        else out.fail(500, `simulator error: ${reason}`);
      }
    } finally {
      release();
      ctx.stats.ended();
      ctx.scheduler.keepAlive(entry, keepAliveMs(checked.body.keep_alive));
    }
  } finally {
    w.dispose();
  }
}

/** Holds a slot: loads the model, waits ttft, then streams the pieces (or sends them whole) and the counters. */
async function generate(
  endpoint: Endpoint,
  ex: Exchange,
  ctx: SimContext,
  checked: Checked,
  request: SimRequest,
  reply: Reply,
  signal: AbortSignal,
  out: Responder,
): Promise<void> {
  const { entry, model } = checked;
  const startedAt = Date.now();
  await ctx.scheduler.ensureLoaded(entry, signal, request.numCtx);
  const loaded = process.hrtime.bigint();
  const fault = reply.fault;
  if (fault === 'hang') {
    ctx.stats.fault(fault);
    await untilAborted(signal);
  }
  await sleep(ctx.latency.ttftMs, signal);
  const evalStart = process.hrtime.bigint();
  if (fault !== undefined && fault !== 'hang') ctx.stats.fault(fault);
  const toolCalls = endpoint === 'chat' ? reply.toolCalls : undefined;
  // Reasoning streams first, then the answer: a runner dying mid-reply cuts the whole sequence in half.
  const all = [...reply.thinking.map((text) => ({ thinking: true, text })), ...reply.pieces.map((text) => ({ thinking: false, text }))];
  const sent = fault === 'midstream' ? Math.max(1, Math.floor(all.length / 2)) : all.length;
  const tokens = all.slice(0, sent);
  const callTokens = fault === 'midstream' ? 0 : toolCallTokens(toolCalls);
  const evalCount = tokens.length + callTokens;

  if (checked.stream) {
    const write = (value: Record<string, unknown>) => {
      if (!out.line(value)) throw new Error('client disconnected');
    };
    for (const token of tokens) {
      await sleep(ctx.latency.perTokenMs, signal);
      const chunk = token.thinking ? piece(endpoint, model, '', { thinking: token.text }) : piece(endpoint, model, token.text);
      write({ ...chunk, done: false });
      ctx.stats.tokens(entry.name, 1);
    }
    if (fault === 'midstream') {
      out.streamError(MIDSTREAM_MESSAGE);
      out.end();
      return;
    }
    if (toolCalls) {
      write({ ...piece(endpoint, model, '', { tool_calls: toolCalls }), done: false });
      ctx.stats.tokens(entry.name, callTokens);
    }
    write(doneLine(endpoint, ex, checked, request, reply, { content: '', thinking: '' }, evalCount, loaded, evalStart));
    out.end();
  } else {
    await sleep(ctx.latency.perTokenMs * tokens.length, signal);
    if (signal.aborted) throw signal.reason;
    if (fault === 'midstream') return out.fail(500, MIDSTREAM_MESSAGE);
    const text = {
      content: tokens.filter((t) => !t.thinking).map((t) => t.text).join(''),
      thinking: tokens.filter((t) => t.thinking).map((t) => t.text).join(''),
    };
    out.whole(doneLine(endpoint, ex, checked, request, reply, text, evalCount, loaded, evalStart, toolCalls));
    ctx.stats.tokens(entry.name, evalCount);
  }
  const entryLog: CompletedRequest = {
    endpoint,
    model: entry.name,
    bodyHash: hashString(ex.body),
    attempt: request.attempt,
    receivedAt: ex.receivedAt,
    startedAt,
    finishedAt: Date.now(),
    doneReason: reply.doneReason,
    evalCount,
    promptEvalCount: request.promptTokens,
    numCtx: request.numCtx,
    truncated: request.truncated,
    ...(fault === 'badjson' || fault === 'schema' || fault === 'truncate' || fault === 'tools' ? { fault } : {}),
  };
  ctx.stats.completed(entryLog);
}

/** The final object: the whole content when not streaming (empty when streaming), done_reason and counters in ns. */
function doneLine(
  endpoint: Endpoint,
  ex: Exchange,
  checked: Checked,
  request: SimRequest,
  reply: Reply,
  text: { content: string; thinking: string },
  evalCount: number,
  loaded: bigint,
  evalStart: bigint,
  toolCalls?: Reply['toolCalls'],
): Record<string, unknown> {
  const end = process.hrtime.bigint();
  const promptTokens = request.promptTokens;
  return {
    ...piece(endpoint, checked.model, text.content, { thinking: text.thinking, ...(toolCalls ? { tool_calls: toolCalls } : {}) }),
    done: true,
    done_reason: reply.doneReason,
    // Deprecated in Ollama but still sent by /api/generate (not in raw mode): the token ids of prompt and reply.
    ...(endpoint === 'generate' && checked.body.raw !== true
      ? { context: Array.from({ length: promptTokens + evalCount }, (_, i) => 1000 + ((i * 7919) % 150_000)) }
      : {}),
    total_duration: nsSince(ex.arrived, end),
    load_duration: nsSince(ex.arrived, loaded),
    prompt_eval_count: promptTokens,
    prompt_eval_duration: nsSince(loaded, evalStart),
    eval_count: evalCount,
    eval_duration: nsSince(evalStart, end),
  };
}
