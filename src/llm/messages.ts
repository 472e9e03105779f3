// Messages on the wire: what Ollama is sent for each ChatMessage, and the messages that carry tool calls back.
import type { Message } from 'ollama';
import type { ChatMessage, ModelResult, WireToolCall } from './types.ts';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Only the fields Ollama knows, so a caller's extra bookkeeping on a message never reaches the server. */
export function toWireMessage(message: ChatMessage): Message {
  const wire: Message = { role: message.role, content: message.content };
  if (message.tool_calls !== undefined && message.tool_calls.length > 0) wire.tool_calls = message.tool_calls;
  if (message.tool_name !== undefined) wire.tool_name = message.tool_name;
  if (message.images !== undefined && message.images.length > 0) wire.images = message.images;
  return wire;
}

/**
 * The assistant turn of a reply, tool calls included, to append before the tools' answers. Ollama wants
 * `arguments` as an object: a call whose arguments were not one (an invalid call) is sent back as `{}`.
 */
export function assistantMessage(result: Pick<ModelResult, 'content' | 'toolCalls'>): ChatMessage {
  const message: ChatMessage = { role: 'assistant', content: result.content };
  const calls = result.toolCalls ?? [];
  if (calls.length > 0) {
    message.tool_calls = calls.map((call): WireToolCall => ({
      ...(call.id !== undefined ? { id: call.id } : {}),
      function: { name: call.name, arguments: isRecord(call.arguments) ? call.arguments : {} },
    }));
  }
  return message;
}

/** The answer to one tool call, as Ollama expects it back. */
export function toolMessage(toolName: string, content: string): ChatMessage {
  return { role: 'tool', content, tool_name: toolName };
}
