// The part of a workflow's context the step builders own: per-step progress, fan-out progress, usage and flags.
import type { CallError, ModelResult, ValidationIssue, ChatMessage } from '../llm/types.ts';

/** One attempt of a model step, kept in context so a run file shows every try and why it was judged so. */
export interface AttemptRecord {
  model: string;
  attempt: number;
  key: string;
  success: boolean;
  error?: CallError;
  issues?: ValidationIssue[];
  score: number | null;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
  ttftMs: number | null;
  /** True when the result came from the step journal (paid for before a restart). */
  replayed: boolean;
}

export type StepStatus = 'running' | 'done' | 'flagged';

export interface StepState {
  status: StepStatus;
  /** How many times the step has been entered; part of each call's journal key. */
  pass: number;
  ladderIndex: number;
  model: string;
  /** Attempts on the current model (1-based once started). */
  attempt: number;
  attempts: AttemptRecord[];
  /** Follow-up messages that show the model its invalid output and the validation errors. */
  feedback: ChatMessage[];
  /** Absolute time (ms since epoch) before which a backoff must not retry; persist-safe. */
  retryAt: number | null;
  last: ModelResult | null;
  /** The accepted result once the step is done. */
  result: ModelResult | null;
  budgetExceeded: string | null;
  reasons: string[];
}

export interface FanOutState {
  total: number;
  started: number;
  finished: number;
  results: unknown[];
  errors: (string | null)[];
}

/** A person's answer to a waiting state, with the data sent along (e.g. `harness send <run> APPROVE --data …`). */
export interface Decision {
  type: string;
  data: unknown;
  at: string;
}

export interface WaitState {
  /** Absolute deadline (ms since epoch), persist-safe; null when the wait has none. */
  until: number | null;
  decision: Decision | null;
}

export interface HarnessContext {
  steps: Record<string, StepState>;
  fanouts: Record<string, FanOutState>;
  waits: Record<string, WaitState>;
  /** Why the run was flagged; non-empty means the run ends `flagged` rather than `done`. */
  flags: string[];
}

export function initialHarnessContext(): HarnessContext {
  return { steps: {}, fanouts: {}, waits: {}, flags: [] };
}
