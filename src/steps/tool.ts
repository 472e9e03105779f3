// A tool an agent step may call: its name, description, zod input and the function that runs it, declared once.
import type { ZodType } from 'zod';
import type { ToolSpec } from '../llm/types.ts';

/** What a tool returns: text as-is, anything else as JSON. */
export type ToolResult = string | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

/** What a tool is given besides its arguments. */
export interface ToolContext<TInput = unknown> {
  /**
   * Run, step pass, turn and call: the same for this call across a crash and resume. A tool with outside effects
   * passes it on (an idempotency header, a unique key) so the one call that may be in flight at a crash is safe.
   */
  idempotencyKey: string;
  /**
   * Fires at the call's deadline (the model is then told the tool timed out) or when the run stops (a cancel, or a
   * graceful stop past its grace: the call is made again on resume). Stop working then: the call has ended either way.
   */
  signal: AbortSignal;
  /** The input the agent step was invoked with (a workflow's directory, a ticket id…). */
  input: TInput;
}

/** A declared tool. `run` is a method so tools with different arguments fit one list (`Tool<unknown>`). */
export interface Tool<TArgs = unknown, TInput = unknown> extends ToolSpec {
  input: ZodType<TArgs>;
  /** The call's deadline, ms, when the tool declares one (else `defaultToolTimeoutMs`; an agent step may override it). */
  timeoutMs?: number;
  run(args: TArgs, ctx: ToolContext<TInput>): Promise<ToolResult> | ToolResult;
}

export interface ToolDefinition<TArgs extends Record<string, unknown>, TInput> {
  /** Letters, digits, `_`, `.` or `-`: what the model calls it by. */
  name: string;
  /** Told to the model: what the tool does and when to use it. */
  description: string;
  /** The arguments, a `z.object(…)`: sent to Ollama as JSON Schema, and every call is checked against it before `run`. */
  input: ZodType<TArgs>;
  /**
   * How long one call may take, ms (default `defaultToolTimeoutMs`, 60 s). At the deadline `ctx.signal` fires and the
   * call ends whether or not `run` heeds it: the model reads `error: tool <name> timed out after <ms> ms`.
   */
  timeoutMs?: number;
  run: (args: TArgs, ctx: ToolContext<TInput>) => Promise<ToolResult> | ToolResult;
}

/** A tool call's deadline when neither the tool nor its agent step sets one. */
export const defaultToolTimeoutMs = 60_000;

/** Node's timers fire at once past 2^31 − 1 ms (24.8 days): a longer deadline would be none. */
const maxTimeoutMs = 2 ** 31 - 1;

/** Throws unless `ms` is a whole number of milliseconds a timer can wait. */
export function assertTimeoutMs(ms: number, what: string): number {
  if (!Number.isInteger(ms) || ms < 1 || ms > maxTimeoutMs) throw new TypeError(`${what}: timeoutMs must be a whole number of ms from 1 to ${maxTimeoutMs}, got ${ms}`);
  return ms;
}

const toolName = /^[A-Za-z0-9_.-]+$/;

/**
 * Declares a tool, its arguments typed by its zod schema. A tool that throws is not a crash: the agent hands the
 * model `error: <message>` as the call's result. Every call has a deadline (`timeoutMs`); work that may hog the CPU
 * (a model-given regular expression, parsing a huge file) belongs in `runOffThread`, which the deadline really ends.
 *
 * @example
 * const weather = tool({
 *   name: 'weather',
 *   description: 'Current temperature in a city, in °C.',
 *   input: z.object({ city: z.string() }),
 *   run: async ({ city }, { signal }) => (await fetch(`https://example.test/t?city=${city}`, { signal })).text(),
 * });
 */
export function tool<TArgs extends Record<string, unknown>, TInput = unknown>(definition: ToolDefinition<TArgs, TInput>): Tool<TArgs, TInput> {
  if (!toolName.test(definition.name)) throw new TypeError(`tool "${definition.name}": a name is letters, digits, '_', '.' or '-'`);
  const { run, timeoutMs } = definition;
  if (timeoutMs !== undefined) assertTimeoutMs(timeoutMs, `tool "${definition.name}"`);
  return Object.freeze({
    name: definition.name,
    description: definition.description,
    input: definition.input,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    run: (args: TArgs, ctx: ToolContext<TInput>) => run(args, ctx),
  });
}

/** A tool's result as the model reads it. */
export function toolText(result: ToolResult): string {
  return typeof result === 'string' ? result : JSON.stringify(result);
}
