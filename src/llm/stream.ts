// Reading one streamed /api/chat reply: content, thinking and tool calls kept apart, the first token timed.
import type { ChatResponse } from 'ollama';
import type { ToolCall } from './types.ts';

export interface StreamHooks {
  onToken?: (piece: string) => void;
  onThinking?: (piece: string) => void;
}

/** Set when a hook threw: a caller's bug, rethrown instead of being reported as a model failure. */
export class CallbackFailure {
  constructor(readonly error: unknown) {}
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Tool calls as sent, read without trusting ollama-js's types: `arguments` is an object on the wire, but a model
 * server behind a proxy may send it as a JSON string, and `id` exists only in newer Ollama versions.
 */
export function readToolCalls(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  const calls: ToolCall[] = [];
  for (const item of raw) {
    const fn = isRecord(item) ? item.function : undefined;
    if (!isRecord(fn)) continue;
    let args: unknown = fn.arguments ?? {};
    if (typeof args === 'string') {
      try {
        args = JSON.parse(args);
      } catch {
        // left as the string: validation reports it
      }
    }
    const call: ToolCall = { name: typeof fn.name === 'string' ? fn.name : '', arguments: args };
    if (isRecord(item) && typeof item.id === 'string' && item.id !== '') call.id = item.id;
    calls.push(call);
  }
  return calls;
}

export class ReplyStream {
  content = '';
  thinking = '';
  toolCalls: ToolCall[] = [];
  /** From the start of the call to the first piece of thinking or content, whichever came first. */
  ttftMs: number | null = null;
  final: ChatResponse | undefined;

  constructor(
    private readonly started: number,
    private readonly hooks: StreamHooks = {},
  ) {}

  push(part: ChatResponse): void {
    const message: unknown = part.message;
    if (isRecord(message)) {
      const thinking = typeof message.thinking === 'string' ? message.thinking : '';
      if (thinking !== '') {
        this.#first();
        this.thinking += thinking;
        this.#call(this.hooks.onThinking, thinking);
      }
      const piece = typeof message.content === 'string' ? message.content : '';
      if (piece !== '') {
        this.#first();
        this.content += piece;
        this.#call(this.hooks.onToken, piece);
      }
      // Ollama sends each call once, in a chunk of its own before the done line; the done line of a
      // non-streamed reply repeats them, so the done line counts only when no chunk had any.
      const calls = readToolCalls(message.tool_calls);
      if (calls.length > 0 && !(part.done && this.toolCalls.length > 0)) this.toolCalls.push(...calls);
    }
    if (part.done) this.final = part;
  }

  #first(): void {
    if (this.ttftMs === null) this.ttftMs = performance.now() - this.started;
  }

  #call(hook: ((piece: string) => void) | undefined, piece: string): void {
    if (!hook) return;
    try {
      hook(piece);
    } catch (err) {
      throw new CallbackFailure(err);
    }
  }
}
