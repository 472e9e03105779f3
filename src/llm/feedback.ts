// The conversation for a retry after invalid output: the model sees its reply and exactly what was wrong.
import { assistantMessage } from './messages.ts';
import type { ChatMessage, ModelResult } from './types.ts';

/**
 * Returns `messages` plus the failed reply (as the assistant, with its tool calls) and a user message listing its
 * validation issues (`path: message`) and asking for a corrected reply only. A failure without output or issues
 * (timeout, connection, …) gets the messages back unchanged: the same request is simply sent again.
 */
export function retryFeedback(messages: readonly ChatMessage[], failed: ModelResult): ChatMessage[] {
  const issues = failed.metadata.issues ?? [];
  if (issues.length === 0 && failed.metadata.error?.kind !== 'invalid-output') return [...messages];

  const lines = issues.length > 0
    ? issues.map((issue) => `- ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`)
    : [`- ${failed.metadata.error?.message ?? 'the reply was not valid'}`];
  // A bad tool call is fixed by calling again, not by writing JSON as the answer.
  const badCalls = issues.some((issue) => issue.path.startsWith('tool_calls.'));
  const request = [
    badCalls ? 'Your previous tool calls could not be used:' : 'Your previous reply could not be used:',
    ...lines,
    badCalls
      ? 'Call the tools again with corrected arguments, using only the tools you were given.'
      : 'Reply again with the corrected JSON only: no explanation, no markdown fences.',
  ].join('\n');

  const next: ChatMessage[] = [...messages];
  if (failed.content !== '' || (failed.toolCalls?.length ?? 0) > 0) next.push(assistantMessage(failed));
  next.push({ role: 'user', content: request });
  return next;
}
