// One /api/chat or /api/generate request, from its body to the done line: checks, faults, queueing, load, streaming.
import { hashString } from '../../util/random.ts';
import { watchExchange as watch, type Exchange, type SimContext } from './context.ts';
import { drawFault } from './faults.ts';
import { tokenLogprob } from './logprobs.ts';
import type { ModelEntry } from './models.ts';
import { QueueFullError, type Release } from './queue.ts';
import { planReply, toolCallTokens, type Reply } from './replies.ts';
import { fitPrompt, numCtxFor } from './prompt.ts';
import { nativeResponder, type Responder } from './responder.ts';
import { keepAliveMs, sleep, untilAborted } from './time.ts';
import { ChatRequest, GenerateRequest } from './apitypes.ts';
import { check, isRecord, type Checked, type Endpoint } from './requests.ts';
import type { CompletedRequest, ScriptedReply, SimRequest } from './types.ts';
import { BUSY_MESSAGE, createdAt, MIDSTREAM_MESSAGE, nsSince, parseRequestBody, RUNNER_CRASH_MESSAGE } from './wire.ts';

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
  if (checked.unload) {
    ctx.scheduler.unload(checked.entry);
    return out.whole({ ...piece(endpoint, checked.model, ''), done: true, done_reason: 'unload' });
  }
  const keep = keepAliveMs(checked.body.keep_alive);
  const w = watch(ex, ctx, false);
  try {
    await ctx.scheduler.ensureLoaded(checked.entry, w.signal, numCtxFor(checked.entry, isRecord(checked.body.options) ? checked.body.options : undefined, ctx.contextLength));
    ctx.scheduler.keepAlive(checked.entry, keep);
    out.whole({ ...piece(endpoint, checked.model, ''), done: true, done_reason: 'load' });
  } catch {
    // The client left while the model loaded.
  } finally {
    w.dispose();
  }
}

/** /api/chat and /api/generate: the body as sent, answered in Ollama's own format. */
export function handleGeneration(endpoint: Endpoint, ex: Exchange, ctx: SimContext): Promise<void> {
  const out = nativeResponder(ex.res);
  const parsed = parseRequestBody(ex.rawBody, endpoint === 'chat' ? ChatRequest : GenerateRequest);
  if (!parsed.ok) return Promise.resolve(out.fail(400, parsed.message));
  return runGeneration(endpoint, ex, ctx, parsed.value, parsed.raw, out);
}

/**
 * One generation from an already decoded native body (`raw`: the body as sent, where the tools' schemas are read);
 * `out` decides the wire format (native or OpenAI).
 */
export async function runGeneration(
  endpoint: Endpoint,
  ex: Exchange,
  ctx: SimContext,
  body: Record<string, unknown>,
  raw: unknown,
  out: Responder,
): Promise<void> {
  const checked = check(endpoint, body, raw, ctx, out);
  if (!checked) return;
  const empty = endpoint === 'chat' ? checked.messages.length === 0 : checked.prompt === '';
  if (checked.unload || empty) return loadOnly(endpoint, ex, ctx, checked, out);
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
    ...(checked.thinkLevel ? { thinkLevel: checked.thinkLevel } : {}),
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
  // Asked-for logprobs cover every generated token, reasoning included (omitempty otherwise).
  const logprobs = checked.logprobs ? (i: number, text: string) => tokenLogprob(ctx.seed, i, text, checked.topLogprobs) : undefined;

  if (checked.stream) {
    const write = (value: Record<string, unknown>) => {
      if (!out.line(value)) throw new Error('client disconnected');
    };
    for (const [i, token] of tokens.entries()) {
      await sleep(ctx.latency.perTokenMs, signal);
      const chunk = token.thinking ? piece(endpoint, model, '', { thinking: token.text }) : piece(endpoint, model, token.text);
      write({ ...chunk, done: false, ...(logprobs ? { logprobs: [logprobs(i, token.text)] } : {}) });
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
    const all = logprobs ? { logprobs: tokens.map((token, i) => logprobs(i, token.text)) } : {};
    out.whole({ ...doneLine(endpoint, ex, checked, request, reply, text, evalCount, loaded, evalStart, toolCalls), ...all });
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
