// The actor logic behind one tool call of an agent step: journal first, then (if it never completed) the tool itself.
import { createHash } from 'node:crypto';
import { fromPromise } from 'xstate';
import type { ModelResult } from '../llm/types.ts';
import { actorPath, serviceLogic, type JournalEntry, type StepServices } from './services.ts';
import { toolText, type Tool } from './tool.ts';

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

/**
 * The logic that runs `tool` once per call, bound to a run's services by the runtime like a model call's: a call
 * whose key and hash are journaled returns the recorded result and the tool does not run again.
 *
 * @example
 * setup({ actors: { 'tool.read_file': toolCall(readFile) } }) // spawned as `read_file.0`, `read_file.1`…
 */
export function toolCall<TArgs, TInput>(tool: Tool<TArgs, TInput>) {
  return serviceLogic((services) =>
    fromPromise<ToolCallOutput, ToolCallInput<TInput>>(({ input, self, signal }) => runCall(tool, services, input, actorPath(self), signal)),
  );
}

async function runCall<TArgs, TInput>(tool: Tool<TArgs, TInput>, services: StepServices, input: ToolCallInput<TInput>, path: string, signal: AbortSignal): Promise<ToolCallOutput> {
  const key = `${path}:${input.callKey}`;
  const hash = toolCallHash(tool.name, input.arguments);
  const journaled = services.journal?.get(key);
  if (journaled && journaled.requestHash === hash) return { content: journaled.result.content, ok: journaled.result.success, key, replayed: true };

  // A stopping run starts nothing new: this call waits for the stop, and is made on resume.
  if (services.gate?.closed()) await stopped(signal);
  const leave = services.gate?.enter();
  try {
    const started = performance.now();
    const { content, ok } = await execute(tool, services, input, key, signal);
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
      metadata: { host: '' },
    };
    const entry: JournalEntry = { key, requestHash: hash, step: `${input.step}/${tool.name}`, result, at: new Date().toISOString() };
    await services.journal?.record(entry);
    return { content, ok, key, replayed: false };
  } finally {
    leave?.();
  }
}

/** Runs the tool; whatever it throws becomes an error result for the model, except a stop, which is the actor's own. */
async function execute<TArgs, TInput>(tool: Tool<TArgs, TInput>, services: StepServices, input: ToolCallInput<TInput>, key: string, signal: AbortSignal): Promise<{ content: string; ok: boolean }> {
  // Checked again here: arguments replayed from a journal written under an older schema must not reach the tool.
  const parsed = tool.input.safeParse(input.arguments);
  if (!parsed.success) return { content: `error: invalid arguments: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, ok: false };
  const ctx = { idempotencyKey: `${services.runKey ?? 'local'}:${key}`, signal, input: input.input };
  try {
    return { content: toolText(await tool.run(parsed.data, ctx)), ok: true };
  } catch (error) {
    if (signal.aborted) throw error;
    return { content: `error: ${error instanceof Error ? error.message : String(error)}`, ok: false };
  }
}

/** Settles only by rejecting when the actor is stopped. */
function stopped(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
