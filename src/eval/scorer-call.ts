// A scorer (schema, rules, judge, composite) used as an assertion: the one place an assertion's model calls are made.
import type { Score, ScoreInput, Scorer } from '../score/types.ts';

/**
 * Scores a finished run's output. Today a judge makes its call itself (to its own host); once scorers are lent a
 * call service (`ScoreOptions.call`), this is where the eval lends its services (host set, limiter, call cache), so a
 * judge used as an assertion is routed, limited and cached like every call the runs make.
 */
export async function scoreAsAssertion(scorer: Scorer, input: ScoreInput, signal: AbortSignal): Promise<Score> {
  return scorer(input, { signal });
}
