// The actor logic behind one tool call of an agent step: journal first, then (if it never completed) the tool itself.
import { createHash } from 'node:crypto';
import { fromPromise } from 'xstate';
import type { ModelResult } from '../llm/types.ts';
import { actorPath, servicesOf, stepLabel, type JournalEntry, type StepServices } from './services.ts';
import { assertTimeoutMs, defaultToolTimeoutMs, toolText, type Tool } from './tool.ts';

/** Plain JSON: persisted with the snapshot while the tool runs, and given again to the restarted actor on restore. */
export interface ToolCallInput<TInput = unknown> {
  /** The agent step's id. */
  step: string;
  /** Step-local part of the journal key: the step's pass, the turn and the call's index in it (`3f2a.t2.c0`). */
  callKey: string;
  /** The arguments as the model sent them (checked against the tool's schema when the reply arrived). */
  arguments: unknown;
  /** The agent step's own input, handed to the tool as `ctx.input`. */
  input: TInput;
}

export interface ToolCallOutput {
  /** What goes back to the model: the tool's result, or `error: <message>`. */
  content: string;
  ok: boolean;
  key: string;
  /** True when the result came from the journal: the tool completed before a restart and was not run again. */
  replayed: boolean;
}

/** Hash of tool name + arguments: a journaled result is reused only for the very same call. */
export function toolCallHash(name: string, args: unknown): string {
  return createHash('sha256').update(JSON.stringify([name, args])).digest('hex').slice(0, 16);
}

export interface ToolCallOptions {
  /** The call's deadline, ms: overrides the tool's own `timeoutMs` (an agent step's `toolTimeoutMs` sets it). */
  timeoutMs?: number;
}

/**
 * The logic that runs `tool` once per call, given its run's services like a model call: a call
 * whose key and hash are journaled returns the recorded result and the tool does not run again. The call ends at its
 * deadline even if the tool ignores its signal; a timed-out call is journaled like any result, so a resume does not
 * run it again (the model already read that it timed out).
 *
 * @example
 * setup({ actors: { 'tool.read_file': toolCall(readFile) } }) // spawned as `read_file.0`, `read_file.1`…
 */
export function toolCall<TArgs, TInput>(tool: Tool<TArgs, TInput>, options: ToolCallOptions = {}) {
  const timeoutMs = assertTimeoutMs(options.timeoutMs ?? tool.timeoutMs ?? defaultToolTimeoutMs, `tool "${tool.name}"`);
  return fromPromise<ToolCallOutput, ToolCallInput<TInput>>(({ input, self, signal, system }) => runCall(tool, timeoutMs, servicesOf(system), input, self, signal));
}

type Self = Parameters<typeof stepLabel>[0];

/** What one execution came to: the text for the model, and whether it failed or ran out of time. */
interface Outcome {
  content: string;
  ok: boolean;
  timedOut?: boolean;
}

async function runCall<TArgs, TInput>(tool: Tool<TArgs, TInput>, timeoutMs: number, services: StepServices, input: ToolCallInput<TInput>, self: Self, signal: AbortSignal): Promise<ToolCallOutput> {
  const key = `${actorPath(self)}:${input.callKey}`;
  const hash = toolCallHash(tool.name, input.arguments);
  const journaled = services.journal?.get(key);
  if (journaled && journaled.requestHash === hash) return { content: journaled.result.content, ok: journaled.result.success, key, replayed: true };

  // A stopping run starts nothing new: this call waits for the stop, and is made on resume.
  if (services.gate?.closed()) await stopped(signal);
  const leave = services.gate?.enter(`${stepLabel(self, input.step)}/${tool.name}`);
  try {
    const started = performance.now();
    const { content, ok, timedOut } = await execute(tool, timeoutMs, services, input, key, signal);
    const result: ModelResult = {
      content,
      model: `tool:${tool.name}`,
      tokensIn: 0,
      tokensOut: 0,
      durationMs: performance.now() - started,
      ttftMs: null,
      success: ok,
      retries: 0,
      score: null,
      metadata: { host: '', ...(timedOut ? { error: { kind: 'timeout', message: content.slice('error: '.length) } } : {}) },
    };
    const entry: JournalEntry = { key, requestHash: hash, step: `${input.step}/${tool.name}`, result, at: new Date().toISOString() };
    await services.journal?.record(entry);
    return { content, ok, key, replayed: false };
  } finally {
    leave?.();
  }
}

/**
 * Runs the tool until it settles or its deadline passes, whichever comes first; whatever it throws becomes an error
 * result for the model, except a stop, which is the actor's own (the call is made again on resume).
 */
async function execute<TArgs, TInput>(tool: Tool<TArgs, TInput>, timeoutMs: number, services: StepServices, input: ToolCallInput<TInput>, key: string, signal: AbortSignal): Promise<Outcome> {
  // Checked again here: arguments replayed from a journal written under an older schema must not reach the tool.
  const parsed = tool.input.safeParse(input.arguments);
  if (!parsed.success) return { content: `error: invalid arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, ok: false };
  const timedOut = `tool ${tool.name} timed out after ${timeoutMs} ms`;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(timedOut, 'TimeoutError')), timeoutMs);
  const callSignal = AbortSignal.any([signal, deadline.signal]);
  const ctx = { idempotencyKey: `${services.runKey ?? 'local'}:${key}`, signal: callSignal, input: input.input };
  try {
    // Raced, not awaited alone: a tool that ignores its signal is left behind, its late result or error dropped.
    const value = await Promise.race([Promise.resolve().then(() => tool.run(parsed.data, ctx)), stopped(callSignal)]);
    return { content: toolText(value), ok: true };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (deadline.signal.aborted) return { content: `error: ${timedOut}`, ok: false, timedOut: true };
    return { content: `error: ${error instanceof Error ? error.message : String(error)}`, ok: false };
  } finally {
    clearTimeout(timer);
  }
}

/** Settles only by rejecting, when `signal` fires: the call's stop or deadline. */
function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
