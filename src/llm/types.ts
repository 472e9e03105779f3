// The shapes of one model call: messages in, a plain-JSON result out (results are journaled and checkpointed).
import type { ZodType } from 'zod';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: Role;
  content: string;
}

/** Every way a call can fail, as seen by the retry policy. */
export type ErrorKind =
  | 'timeout'
  | 'connection'
  | 'busy'
  | 'server'
  | 'model-not-found'
  | 'bad-request'
  | 'invalid-output'
  | 'aborted'
  /** The run's token or time budget is spent: the call was never made. */
  | 'budget'
  /** A bug or storage failure in the harness's own code, not the model's or the server's. */
  | 'internal';

export interface CallError {
  kind: ErrorKind;
  message: string;
  status?: number;
}

/** One validation problem of a structured reply, e.g. `{ path: 'items.0.name', message: 'Required' }`. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export interface CallMetadata {
  /** Base URL of the Ollama server that served (or failed) the call. */
  host: string;
  doneReason?: string;
  loadMs?: number;
  promptEvalMs?: number;
  evalMs?: number;
  totalMs?: number;
  error?: CallError;
  /** Validation issues of a structured reply (schema or JSON parse). */
  issues?: ValidationIssue[];
  /** Reasons given by the scorer, when a score was attached. */
  scoreReasons?: string[];
}

export interface ModelResult<T = unknown> {
  content: string;
  /** The parsed and validated reply, when `json` or `schema` was asked for and it passed. */
  data?: T;
  model: string;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
  /** Client-side time from sending the request to the first streamed token; null when none arrived. */
  ttftMs: number | null;
  success: boolean;
  retries: number;
  score: number | null;
  metadata: CallMetadata;
}

export interface ModelConfig<T = unknown> {
  model: string;
  temperature: number;
  maxTokens: number;
  json: boolean;
  timeoutMs: number;
  maxRetries: number;
  retryDelayMs: number;
  schema?: ZodType<T>;
  host?: string;
  /** Passed through to Ollama's `options` (num_ctx, seed, stop, top_p, …). */
  options?: Record<string, unknown>;
}

export interface CallOptions {
  /** Cancels the call: the HTTP request is aborted and the result has kind `aborted`. */
  signal?: AbortSignal;
  /** Called with each streamed piece of content, for live views. */
  onToken?: (piece: string) => void;
}
