// One model call to Ollama /api/chat: streamed, bounded by a deadline, cancellable, classified, never throwing for the model's faults.
import { Ollama } from 'ollama';
import { formatSchema, resolveConfig, type ModelConfigInput } from './config.ts';
import { defaultContextWindows } from './context/windows.ts';
import { classifyError, TimeoutError } from './errors.ts';
import { hostAuth, resolveHost } from './host.ts';
import { toWireMessage } from './messages.ts';
import { unsentResult } from './result.ts';
import { CallbackFailure, ReplyStream } from './stream.ts';
import { checkToolCalls, toolsForOllama } from './tools.ts';
import { validateContent } from './validate.ts';
import type { CallError, CallMetadata, CallOptions, ChatMessage, ModelResult, ValidationIssue } from './types.ts';

const nsToMs = (ns: number | undefined): number | undefined => (typeof ns === 'number' ? ns / 1e6 : undefined);

/** `path: message` of the first issue, and how many more there are. */
function invalidOutput(issues: readonly ValidationIssue[]): CallError {
  const first = issues[0];
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return {
    kind: 'invalid-output',
    message: first === undefined ? 'reply is not valid' : `${first.path === '' ? '' : `${first.path}: `}${first.message}${more}`,
  };
}

/**
 * Makes ONE call. Resolves with `success: false` and `metadata.error` for every failure on the model's side
 * (server, network, timeout, cancellation, invalid output); throws ConfigError only for a bad config.
 */
export async function callModel<T = unknown>(
  messages: readonly ChatMessage[],
  config: ModelConfigInput<T> = {},
  options: CallOptions = {},
): Promise<ModelResult<T>> {
  return (await trackedCall(messages, config, options)).result;
}

/** A call's result, and whether the server answered with headers at all (a host that did is alive). */
export interface TrackedCall<T> {
  result: ModelResult<T>;
  responded: boolean;
}

/** callModel, also telling whether response headers arrived: a failover decision needs it, the result does not. */
export async function trackedCall<T = unknown>(
  messages: readonly ChatMessage[],
  config: ModelConfigInput<T> = {},
  options: CallOptions = {},
): Promise<TrackedCall<T>> {
  const cfg = resolveConfig(config);
  const resolved = resolveHost(cfg.host);
  // `host` is what is stored and shown (no password); `auth` is what the request is sent with.
  const auth = hostAuth(resolved);
  const host = auth.base;
  const format = cfg.schema !== undefined ? formatSchema(cfg.schema) : cfg.json ? 'json' : undefined;
  const modelOptions: Record<string, unknown> = { ...cfg.options, num_predict: cfg.maxTokens };
  // An explicit `temperature` wins over options.temperature, which wins over the default.
  if (config.temperature !== undefined || modelOptions.temperature === undefined) modelOptions.temperature = cfg.temperature;

  const tools = cfg.tools !== undefined && cfg.tools.length > 0 ? toolsForOllama(cfg.tools) : undefined;

  // The prompt is measured against the model's window before anything is paid: num_ctx is set to hold it and the
  // reply, or the call is refused (Ollama would cut the prompt silently).
  // A call cancelled before it began asks the host nothing at all.
  const windows = options.windows ?? defaultContextWindows;
  const cancelled = options.signal?.aborted === true;
  const contextConfig = cancelled ? { ...cfg.context, mode: 'off' as const } : cfg.context;
  const plan = await windows.plan({ host: resolved, model: cfg.model, messages, ...(cfg.tools ? { tools: cfg.tools } : {}), maxTokens: cfg.maxTokens, ...(cfg.options ? { options: cfg.options } : {}), ...(contextConfig ? { config: contextConfig } : {}), ...(cancelled ? { probe: false } : {}) });
  if (!plan.ok) return { result: unsentResult<T>(cfg.model, host, plan.error, { context: plan.context }), responded: false };
  if (plan.numCtx !== undefined) modelOptions.num_ctx = plan.numCtx;

  const started = performance.now();
  const reply = new ReplyStream(started, options);

  // One controller per call carries both our deadline and the caller's signal into fetch, so an abort
  // cancels the request whether it is still queued (no headers yet) or already streaming.
  const call = new AbortController();
  let timedOut = false;
  let aborted = false;
  const timer = setTimeout(() => {
    if (aborted) return;
    timedOut = true;
    call.abort(new TimeoutError(cfg.timeoutMs));
  }, cfg.timeoutMs);
  const callerSignal = options.signal;
  const onCallerAbort = (): void => {
    if (timedOut) return;
    aborted = true;
    call.abort(callerSignal?.reason);
  };
  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });

  // ollama-js has no per-request signal: it gives each streamed request its own controller, so we
  // forward that one into ours (a listener is far cheaper than AbortSignal.any) and fetch with ours.
  // Credentials travel as a header: ollama-js keeps `user:pw@` in the URL, which Node's fetch refuses
  // outright (and its error message would repeat the password).
  let responded = false;
  const fetchWithSignal: typeof fetch = async (input, init) => {
    const own = init?.signal;
    if (own) {
      if (own.aborted) call.abort(own.reason);
      else own.addEventListener('abort', () => call.abort(own.reason), { once: true });
    }
    let headers = init?.headers;
    if (auth.authorization !== undefined) {
      const withAuth = new Headers(init?.headers);
      if (!withAuth.has('authorization')) withAuth.set('authorization', auth.authorization);
      headers = withAuth;
    }
    const response = await fetch(input, { ...init, ...(headers !== undefined ? { headers } : {}), signal: call.signal });
    responded = true;
    return response;
  };
  // A per-call instance costs ~1 µs and, unlike a shared one, leaks nothing: ollama-js keeps a failed
  // stream in its `ongoingStreamedRequests` list forever.
  const client = new Ollama({ host: auth.base, fetch: fetchWithSignal });
  let stream: { abort(): void } | undefined;

  const run = async (): Promise<void> => {
    const response = await client.chat({
      model: cfg.model,
      messages: messages.map(toWireMessage),
      stream: true,
      ...(format !== undefined ? { format } : {}),
      ...(tools !== undefined ? { tools } : {}),
      ...(cfg.think !== undefined ? { think: cfg.think } : {}),
      options: modelOptions,
    });
    stream = response;
    for await (const part of response) reply.push(part);
  };

  // Racing the abort guarantees the deadline even if a layer below us were slow to notice the signal.
  const stopped = new Promise<never>((_, reject) => {
    if (call.signal.aborted) reject(call.signal.reason);
    else call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true });
  });
  stopped.catch(() => {}); // only observed through the race below
  let error: CallError | undefined;
  try {
    if (aborted) throw call.signal.reason; // cancelled before it began: no request is made
    const work = run();
    work.catch(() => {}); // its late rejection after we stopped waiting is expected
    await Promise.race([work, stopped]);
  } catch (err) {
    if (err instanceof CallbackFailure) throw err.error;
    error = classifyError(err, { host, timeoutMs: cfg.timeoutMs, timedOut, aborted, abortReason: callerSignal?.reason });
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
    if (error !== undefined || reply.final === undefined) {
      stream?.abort();
      call.abort();
    }
  }

  const { content, final } = reply;
  const metadata: CallMetadata = { host };
  if (error?.kind === 'model-not-found') windows.forget(resolved, cfg.model);
  const context = windows.observe(plan, final?.prompt_eval_count);
  metadata.context = context;
  // A prompt the host cut is not an answer to the question asked: it fails (and escalates), unless the step said flag.
  if (error === undefined && context.truncated && plan.onTruncation === 'escalate') {
    error = { kind: 'context', message: `prompt truncated by the host: ${context.truncation ?? 'fewer tokens evaluated than sent'}` };
  }
  let data: T | undefined;
  let toolCalls = reply.toolCalls;
  if (final !== undefined) {
    metadata.doneReason = final.done_reason;
    metadata.loadMs = nsToMs(final.load_duration);
    metadata.promptEvalMs = nsToMs(final.prompt_eval_duration);
    metadata.evalMs = nsToMs(final.eval_duration);
    metadata.totalMs = nsToMs(final.total_duration);
  }
  if (error !== undefined) {
    // Nothing more to check.
  } else if (toolCalls.length > 0) {
    // A reply that calls tools answers with the calls: its content (usually empty) is not the structured answer.
    const checked = checkToolCalls(toolCalls, cfg.tools ?? []);
    toolCalls = checked.calls;
    if (checked.issues.length > 0) {
      metadata.issues = checked.issues;
      error = invalidOutput(checked.issues);
    }
  } else if (format !== undefined) {
    const truncatedAt = final?.done_reason === 'length' ? cfg.maxTokens : undefined;
    const checked = validateContent<T>(content, { ...(cfg.schema ? { schema: cfg.schema } : {}), ...(truncatedAt ? { truncatedAt } : {}) });
    if (checked.ok) {
      data = checked.data;
    } else {
      metadata.issues = checked.issues;
      error = invalidOutput(checked.issues);
    }
  }
  if (error !== undefined) metadata.error = error;

  const result: ModelResult<T> = {
    content,
    model: final?.model ?? cfg.model,
    tokensIn: final?.prompt_eval_count ?? 0,
    tokensOut: final?.eval_count ?? 0,
    durationMs: performance.now() - started,
    ttftMs: reply.ttftMs,
    success: error === undefined,
    retries: 0,
    score: null,
    metadata,
  };
  if (data !== undefined) result.data = data;
  if (reply.thinking !== '') result.thinking = reply.thinking;
  if (toolCalls.length > 0) result.toolCalls = toolCalls;
  return { result, responded };
}

