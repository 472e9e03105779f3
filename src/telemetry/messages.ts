// Prompt and reply in the GenAI conventions' message shape, as JSON strings: recorded only when content is opted in.
import type { ChatMessage, ModelResult } from '../llm/types.ts';

type Part =
  | { type: 'text'; content: string }
  | { type: 'reasoning'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments: unknown }
  | { type: 'tool_call_response'; result: string };

interface Message {
  role: string;
  parts: Part[];
  name?: string;
  finish_reason?: string;
}

function inputMessage(message: ChatMessage): Message {
  if (message.role === 'tool') {
    return { role: 'tool', parts: [{ type: 'tool_call_response', result: message.content }], ...(message.tool_name ? { name: message.tool_name } : {}) };
  }
  const parts: Part[] = message.content !== '' ? [{ type: 'text', content: message.content }] : [];
  for (const call of message.tool_calls ?? []) {
    parts.push({ type: 'tool_call', ...(call.id ? { id: call.id } : {}), name: call.function.name, arguments: call.function.arguments });
  }
  return { role: message.role, parts };
}

/** `gen_ai.input.messages`: the conversation in the order it was sent. */
export function inputMessages(messages: readonly ChatMessage[]): string {
  return JSON.stringify(messages.map(inputMessage));
}

/** `gen_ai.output.messages`: the one reply (Ollama returns one choice), with its reasoning and tool calls. */
export function outputMessages(result: ModelResult, finishReason: string): string {
  const parts: Part[] = [];
  if (result.thinking) parts.push({ type: 'reasoning', content: result.thinking });
  if (result.content !== '') parts.push({ type: 'text', content: result.content });
  for (const call of result.toolCalls ?? []) parts.push({ type: 'tool_call', ...(call.id ? { id: call.id } : {}), name: call.name, arguments: call.arguments });
  const message: Message = { role: 'assistant', parts, finish_reason: finishReason };
  return JSON.stringify([message]);
}
