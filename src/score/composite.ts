// Weighted mean of named scorers, with an optional pass threshold.
import { normalizeScore } from './normalize.ts';
import { declaredModels } from '../llm/models/declared.ts';
import type { Score, Scorer } from './types.ts';

export interface ScorerPart {
  name: string;
  scorer: Scorer;
  /** Relative weight, ≥ 0; weights need not sum to 1. */
  weight: number;
}

export interface CompositeOptions {
  /** pass = value ≥ threshold (on the [0, 1] scale). */
  threshold?: number;
}

function validate(parts: ScorerPart[], options: CompositeOptions): void {
  if (parts.length === 0) throw new RangeError('compositeScorer: needs at least one part');
  const names = new Set<string>();
  let total = 0;
  for (const part of parts) {
    if (!part.name) throw new RangeError('compositeScorer: every part needs a name');
    if (names.has(part.name)) throw new RangeError(`compositeScorer: duplicate part name "${part.name}"`);
    names.add(part.name);
    if (!(Number.isFinite(part.weight) && part.weight >= 0)) {
      throw new RangeError(`compositeScorer: weight of "${part.name}" must be a non-negative number`);
    }
    total += part.weight;
  }
  if (total <= 0) throw new RangeError('compositeScorer: weights must not all be 0');
  const { threshold } = options;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
    throw new RangeError(`compositeScorer: threshold must be within [0, 1], got ${String(threshold)}`);
  }
}

/**
 * Runs every part (concurrently: a judge's latency should not add to another's) and returns the weighted mean.
 * Reasons are prefixed with the part's name; each part's own score is kept under `parts`.
 * A part that throws makes the composite throw: a broken scorer is a bug, not a low score.
 */
export function compositeScorer(parts: ScorerPart[], options: CompositeOptions = {}): Scorer & { readonly models: readonly string[] } {
  validate(parts, options);
  const frozen = parts.map((part) => ({ ...part }));
  const totalWeight = frozen.reduce((sum, part) => sum + part.weight, 0);
  const scorer: Scorer = async (input, scoreOptions) => {
    const scores = await Promise.all(
      frozen.map(async (part) => normalizeScore(await part.scorer(input, scoreOptions))),
    );
    let weighted = 0;
    const reasons: string[] = [];
    const byName: Record<string, Score> = {};
    frozen.forEach((part, index) => {
      const score = scores[index] as Score;
      weighted += part.weight * score.value;
      for (const reason of score.reasons) reasons.push(`${part.name}: ${reason}`);
      byName[part.name] = score;
    });
    const value = weighted / totalWeight;
    const result: Score = { value, reasons, parts: byName };
    if (options.threshold !== undefined) result.pass = value >= options.threshold;
    return result;
  };
  // The models its parts call (a judge's), so a run's preflight check sees them through the composite too.
  return Object.assign(scorer, { models: [...new Set(frozen.flatMap((part) => declaredModels(part.scorer)))] });
}
