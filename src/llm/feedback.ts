// The conversation for a retry after invalid output: the model sees its reply and exactly what was wrong.
import type { ChatMessage, ModelResult } from './types.ts';

/**
 * Returns `messages` plus the failed reply (as the assistant) and a user message listing its validation issues
 * (`path: message`) and asking for a corrected reply only. A failure without output or issues (timeout,
 * connection, …) gets the messages back unchanged: the same request is simply sent again.
 */
export function retryFeedback(messages: readonly ChatMessage[], failed: ModelResult): ChatMessage[] {
  const issues = failed.metadata.issues ?? [];
  if (issues.length === 0 && failed.metadata.error?.kind !== 'invalid-output') return [...messages];

  const lines = issues.length > 0
    ? issues.map((issue) => `- ${issue.path === '' ? '(root)' : issue.path}: ${issue.message}`)
    : [`- ${failed.metadata.error?.message ?? 'the reply was not valid'}`];
  const request = [
    'Your previous reply could not be used:',
    ...lines,
    'Reply again with the corrected JSON only: no explanation, no markdown fences.',
  ].join('\n');

  const next: ChatMessage[] = [...messages];
  if (failed.content !== '') next.push({ role: 'assistant', content: failed.content });
  next.push({ role: 'user', content: request });
  return next;
}
