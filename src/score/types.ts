// The scorer contract: content in, a value in [0, 1] with reasons out; model calls only through the call it is lent.
import type { ModelConfigInput } from '../llm/config.ts';
import type { ChatMessage, ModelResult } from '../llm/types.ts';

export interface ScoreInput {
  /** The raw reply text being scored. */
  content: string;
  /** The parsed reply, when the call asked for JSON or a schema and it validated. */
  data?: unknown;
  /** The conversation that produced the reply, so a judge can see the task. */
  messages?: ChatMessage[];
}

export interface Score {
  /** Always within [0, 1]; NaN is treated as 0. */
  value: number;
  /** Why the value is not 1 (failed rules, schema issues, a judge's words). */
  reasons: string[];
  /** Set when the scorer has a threshold. */
  pass?: boolean;
  /** The judge's own model call, for the caller to look at (a step journals and counts it as it is made). */
  call?: ModelResult;
  /** Each part's own score, by name, for a composite. */
  parts?: Record<string, Score>;
}

/**
 * A model call made for a scorer (a judge's), lent by whoever scores: in a run it is routed over the run's hosts,
 * limited, checked against the budget, traced, reported and journaled, so a resumed run replays it and never pays
 * for it twice. It resolves to the call's result, failed ones included. A call that could not be made now (the host
 * is down or busy, the budget is spent, the run is stopping) is no verdict: the step that scores discards the score
 * whatever the scorer made of it, and rides the trouble out (backs off, parks, flags the budget) before judging again.
 */
export type ScoreCall = (messages: ChatMessage[], config: ModelConfigInput) => Promise<ModelResult>;

export interface ScoreOptions {
  /** Cancels a scorer that does I/O (the judge's model call). */
  signal?: AbortSignal;
  /** How a scorer calls a model; absent when a scorer is run by hand (a judge then calls its model itself). */
  call?: ScoreCall;
}

/** Plain functions, so workflows can name them in config and compose them. */
export type Scorer = (input: ScoreInput, options?: ScoreOptions) => Score | Promise<Score>;
