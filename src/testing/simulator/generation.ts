// One /api/chat or /api/generate request, from its body to the done line: checks, faults, queueing, load, streaming.
import { hashString } from '../../util/random.ts';
import { watchExchange as watch, type Exchange, type SimContext } from './context.ts';
import { drawFault } from './faults.ts';
import type { ModelEntry } from './models.ts';
import { QueueFullError, type Release } from './queue.ts';
import { countTokens, hasFormat, planReply, type Reply } from './replies.ts';
import { keepAliveMs, sleep, untilAborted } from './time.ts';
import type { CompletedRequest, ScriptedReply, SimRequest } from './types.ts';
import {
  BUSY_MESSAGE,
  createdAt,
  fieldTypeError,
  MIDSTREAM_MESSAGE,
  NDJSON_TYPE,
  notFoundMessage,
  nsSince,
  parseRequestBody,
  RUNNER_CRASH_MESSAGE,
  sendError,
  sendJson,
  writeLine,
} from './wire.ts';

type Endpoint = 'chat' | 'generate';
type Message = { role: string; content: string };

interface Checked {
  body: Record<string, unknown>;
  model: string;
  entry: ModelEntry;
  messages: Message[];
  prompt?: string;
  stream: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wantsThinking(think: unknown): boolean {
  return think === true || think === 'high' || think === 'medium' || think === 'low';
}

/** Validates the request as Ollama does, answering the error itself; undefined when it answered. */
function check(endpoint: Endpoint, ex: Exchange, ctx: SimContext): Checked | undefined {
  const goType = endpoint === 'chat' ? 'ChatRequest' : 'GenerateRequest';
  const parsed = parseRequestBody(ex.body, goType);
  if (!parsed.ok) return void sendError(ex.res, 400, parsed.message);
  const body = parsed.value;
  const typeError =
    fieldTypeError(body, 'model', 'string', goType) ??
    (endpoint === 'chat'
      ? fieldTypeError(body, 'messages', 'array', goType)
      : (fieldTypeError(body, 'prompt', 'string', goType) ?? fieldTypeError(body, 'system', 'string', goType))) ??
    fieldTypeError(body, 'stream', 'bool', goType) ??
    fieldTypeError(body, 'options', 'object', goType);
  if (typeError) return void sendError(ex.res, 400, typeError);
  const model = typeof body.model === 'string' ? body.model : '';
  if (model === '') return void sendError(ex.res, 400, 'model is required');
  const entry = ctx.catalog.find(model);
  ctx.stats.modelRequest(entry?.name ?? model);
  if (!entry) return void sendError(ex.res, 404, notFoundMessage(model));
  if (!entry.capabilities.includes('completion')) {
    return void sendError(ex.res, 400, `"${model}" does not support ${endpoint}`);
  }
  if (wantsThinking(body.think) && !entry.capabilities.includes('thinking')) {
    return void sendError(ex.res, 400, `"${model}" does not support thinking`);
  }
  if (Array.isArray(body.tools) && body.tools.length > 0 && !entry.capabilities.includes('tools')) {
    return void sendError(ex.res, 400, `registry.ollama.ai/library/${entry.fullName} does not support tools`);
  }
  const format = body.format;
  if (format !== undefined && format !== null && format !== '' && !hasFormat(format)) {
    const raw = JSON.stringify(JSON.stringify(format));
    return void sendError(ex.res, 500, `invalid format: ${raw}; expected "json" or a valid JSON Schema object`);
  }
  const messages: Message[] = [];
  if (endpoint === 'chat') {
    for (const m of (body.messages as unknown[] | undefined) ?? []) {
      if (!isRecord(m)) {
        return void sendError(ex.res, 400, `json: cannot unmarshal ${typeof m} into Go struct field ChatRequest.messages of type api.Message`);
      }
      messages.push({ role: String(m.role ?? ''), content: typeof m.content === 'string' ? m.content : '' });
    }
  } else {
    if (typeof body.system === 'string' && body.system !== '') messages.push({ role: 'system', content: body.system });
    if (typeof body.prompt === 'string' && body.prompt !== '') messages.push({ role: 'user', content: body.prompt });
  }
  return {
    body,
    model,
    entry,
    messages,
    ...(endpoint === 'generate' ? { prompt: typeof body.prompt === 'string' ? body.prompt : '' } : {}),
    stream: body.stream !== false,
  };
}

function scriptFor(ctx: SimContext, model: string, entry: ModelEntry): ScriptedReply | undefined {
  return ctx.script[model] ?? ctx.script[entry.name] ?? ctx.script[entry.fullName] ?? ctx.script['*'];
}

/** Chat and generate differ only in where the text goes. */
function piece(endpoint: Endpoint, model: string, content: string, extra: Record<string, unknown> = {}) {
  return endpoint === 'chat'
    ? { model, created_at: createdAt(), message: { role: 'assistant', content, ...extra } }
    : { model, created_at: createdAt(), response: content };
}

/** Chat with no messages, or generate with no prompt, loads (or with keep_alive 0 unloads) the model. */
async function loadOnly(endpoint: Endpoint, ex: Exchange, ctx: SimContext, checked: Checked): Promise<void> {
  const keep = keepAliveMs(checked.body.keep_alive);
  const w = watch(ex, ctx, false);
  try {
    if (keep === 0) ctx.scheduler.unload(checked.entry);
    else {
      await ctx.scheduler.ensureLoaded(checked.entry, w.signal);
      ctx.scheduler.keepAlive(checked.entry, keep);
    }
    const reason = keep === 0 ? 'unload' : 'load';
    sendJson(ex.res, 200, { ...piece(endpoint, checked.model, ''), done: true, done_reason: reason });
  } catch {
    // The client left while the model loaded.
  } finally {
    w.dispose();
  }
}

export async function handleGeneration(endpoint: Endpoint, ex: Exchange, ctx: SimContext): Promise<void> {
  const checked = check(endpoint, ex, ctx);
  if (!checked) return;
  const empty = endpoint === 'chat' ? checked.messages.length === 0 : checked.prompt === '';
  if (empty) return loadOnly(endpoint, ex, ctx, checked);
  const { body, entry, messages, model } = checked;
  const identity = JSON.stringify([entry.fullName, messages, body.format ?? null]);
  const key = `${hashString(identity)}:${identity.length}`;
  const attempt = (ctx.attempts.get(key) ?? 0) + 1;
  ctx.attempts.set(key, attempt);
  const request: SimRequest = {
    endpoint,
    model,
    messages: messages.map((m) => ({ ...m })),
    ...(checked.prompt !== undefined ? { prompt: checked.prompt } : {}),
    ...(body.format !== undefined ? { format: body.format } : {}),
    ...(isRecord(body.options) ? { options: body.options } : {}),
    stream: checked.stream,
    attempt,
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
      if (!w.signal.aborted) sendError(ex.res, 500, `simulator script failed: ${reason}`);
      return;
    }
    if (w.signal.aborted) return;
    const fault = reply.fault;
    if (fault === '500' || fault === '503') {
      ctx.stats.fault(fault);
      return sendError(ex.res, Number(fault), fault === '500' ? RUNNER_CRASH_MESSAGE : BUSY_MESSAGE);
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
      if (error instanceof QueueFullError) sendError(ex.res, 503, BUSY_MESSAGE);
      return;
    }
    ctx.stats.started();
    try {
      await generate(endpoint, ex, ctx, checked, request, reply, w.signal);
    } catch (error) {
      // A client that went away, or a closing simulator, needs no answer; anything else is a bug to surface.
      if (!w.signal.aborted) {
        const reason = error instanceof Error ? error.message : String(error);
        if (ex.res.headersSent) ex.res.destroy();
        else sendError(ex.res, 500, `simulator error: ${reason}`);
      }
    } finally {
      release();
      ctx.stats.ended();
      ctx.scheduler.keepAlive(entry, keepAliveMs(body.keep_alive));
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
): Promise<void> {
  const { entry, model } = checked;
  const { res } = ex;
  const startedAt = Date.now();
  await ctx.scheduler.ensureLoaded(entry, signal);
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
  const sent = fault === 'midstream' ? Math.max(1, Math.floor(reply.pieces.length / 2)) : reply.pieces.length;
  const pieces = reply.pieces.slice(0, sent);
  const evalCount = pieces.length + (toolCalls ? 1 : 0);

  if (checked.stream) {
    const write = (value: unknown) => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': NDJSON_TYPE });
      if (!writeLine(res, value)) throw new Error('client disconnected');
    };
    for (const text of pieces) {
      await sleep(ctx.latency.perTokenMs, signal);
      write({ ...piece(endpoint, model, text), done: false });
      ctx.stats.tokens(entry.name, 1);
    }
    if (fault === 'midstream') {
      write({ error: MIDSTREAM_MESSAGE });
      res.end();
      return;
    }
    if (toolCalls) {
      write({ ...piece(endpoint, model, '', { tool_calls: toolCalls }), done: false });
      ctx.stats.tokens(entry.name, 1);
    }
    write(doneLine(endpoint, ex, checked, reply, '', evalCount, loaded, evalStart));
    res.end();
  } else {
    await sleep(ctx.latency.perTokenMs * pieces.length, signal);
    if (signal.aborted) throw signal.reason;
    if (fault === 'midstream') return sendError(res, 500, MIDSTREAM_MESSAGE);
    const content = pieces.join('');
    const line = doneLine(endpoint, ex, checked, reply, content, evalCount, loaded, evalStart, toolCalls);
    sendJson(res, 200, line);
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
    ...(fault === 'badjson' || fault === 'schema' || fault === 'truncate' ? { fault } : {}),
  };
  ctx.stats.completed(entryLog);
}

/** The final object: the whole content when not streaming (empty when streaming), done_reason and counters in ns. */
function doneLine(
  endpoint: Endpoint,
  ex: Exchange,
  checked: Checked,
  reply: Reply,
  content: string,
  evalCount: number,
  loaded: bigint,
  evalStart: bigint,
  toolCalls?: Reply['toolCalls'],
) {
  const end = process.hrtime.bigint();
  const promptTokens = countTokens(checked.messages);
  return {
    ...piece(endpoint, checked.model, content, toolCalls ? { tool_calls: toolCalls } : {}),
    done: true,
    done_reason: reply.doneReason,
    // Deprecated in Ollama but still sent by /api/generate: the token ids of prompt and reply.
    ...(endpoint === 'generate'
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
