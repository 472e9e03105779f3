// Public API of scoring: plain scorer functions and the way a score is attached to a call's result.
export type { Score, ScoreCall, ScoreInput, ScoreOptions, Scorer } from './types.ts';
export { clampScore, normalizeScore } from './normalize.ts';
export { schemaScorer } from './schema.ts';
export { rulesScorer, type RulesSpec } from './rules.ts';
export { lengthScorer, measureLength, type LengthSpec, type LengthUnit } from './length.ts';
export { judgeScorer, judgeMessages, verdictSchema, type JudgeSpec, type Verdict } from './judge.ts';
export { compositeScorer, type CompositeOptions, type ScorerPart } from './composite.ts';
export { attachScore, scoreCalls, scoreResult, type ScoreResultOptions } from './attach.ts';
