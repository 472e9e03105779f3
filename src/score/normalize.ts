// Keeps every score honest: values clamped to [0, 1] whatever a user scorer returns.
import type { Score } from './types.ts';

/** NaN and non-numbers become 0, because an unknown quality must never pass a threshold. */
export function clampScore(value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

/** A copy of `score` whose value is clamped and whose reasons are an array. */
export function normalizeScore(score: Score): Score {
  const reasons = Array.isArray(score.reasons) ? score.reasons.map(String) : [];
  return { ...score, value: clampScore(score.value), reasons };
}
