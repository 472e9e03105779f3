// The scorer contract: content in, a value in [0, 1] with reasons out.
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
  /** The judge's own model call, kept so the harness can log its tokens and timing. */
  call?: ModelResult;
  /** Each part's own score, by name, for a composite. */
  parts?: Record<string, Score>;
}

export interface ScoreOptions {
  /** Cancels a scorer that does I/O (the judge's model call). */
  signal?: AbortSignal;
}

/** Plain functions, so workflows can name them in config and compose them. */
export type Scorer = (input: ScoreInput, options?: ScoreOptions) => Score | Promise<Score>;
