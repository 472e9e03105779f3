// Attaching a score to a model call's result, without mutating the journaled original.
import type { ModelResult } from '../llm/types.ts';
import { normalizeScore } from './normalize.ts';
import type { Score, ScoreInput, ScoreOptions, Scorer } from './types.ts';

export interface ScoreResultOptions extends ScoreOptions {
  /** The conversation that produced the result, passed on to the scorer (a judge uses it to see the task). */
  messages?: ScoreInput['messages'];
}

/** Every model call a score made (a judge's, or several inside a composite), as the score keeps them. */
export function scoreCalls(score: Score): ModelResult[] {
  const calls = score.call ? [score.call] : [];
  for (const part of Object.values(score.parts ?? {})) calls.push(...scoreCalls(part));
  return calls;
}

/**
 * A new result carrying `score`'s value and reasons; the input result is left untouched. Use it directly when the
 * Score itself is also needed (e.g. to log a judge's call via `scoreCalls`).
 */
export function attachScore<T>(result: ModelResult<T>, score: Score): ModelResult<T> {
  const normalized = normalizeScore(score);
  return {
    ...result,
    score: normalized.value,
    metadata: { ...result.metadata, scoreReasons: [...normalized.reasons] },
  };
}

/** Runs `scorer` on the result's content (and data) and returns a new result with the score attached. */
export async function scoreResult<T>(
  result: ModelResult<T>,
  scorer: Scorer,
  options: ScoreResultOptions = {},
): Promise<ModelResult<T>> {
  const input: ScoreInput = { content: result.content };
  if (result.data !== undefined) input.data = result.data;
  if (options.messages) input.messages = options.messages;
  const scoreOptions: ScoreOptions = options.signal ? { signal: options.signal } : {};
  return attachScore(result, await scorer(input, scoreOptions));
}
