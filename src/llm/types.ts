// The shapes of one model call: messages in, a plain-JSON result out (results are journaled and checkpointed).
import type { ZodType } from 'zod';
import type { ContextWindows } from './context/windows.ts';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/** A tool call in Ollama's wire shape, as an assistant message carries it back into the conversation. */
export interface WireToolCall {
  id?: string;
  function: { name: string; arguments: Record<string, unknown> };
}

/**
 * One message as Ollama takes it. `{ role, content }` is all most messages need; an assistant message that called
 * tools carries `tool_calls`, and the answer to a call is `{ role: 'tool', content, tool_name }`.
 */
export interface ChatMessage {
  role: Role;
  content: string;
  tool_calls?: WireToolCall[];
  tool_name?: string;
  /** Images for a vision model, base64-encoded. */
  images?: string[];
}

/** A tool the model may call: `input` validates its arguments and is sent to Ollama as JSON Schema. */
export interface ToolSpec {
  name: string;
  description: string;
  input: ZodType;
}

/** One tool call of a reply: `arguments` is the zod output when valid, else what the model sent. */
export interface ToolCall {
  id?: string;
  name: string;
  arguments: unknown;
}

/** Ollama's `think`: on/off, or an effort level for models that take one (gpt-oss). */
export type Think = boolean | 'low' | 'medium' | 'high';

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
  | 'internal'
  /** The prompt does not fit the model's window (refused before it was sent), or the host cut it (seen in the reply). */
  | 'context';

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
  /** Validation issues of a structured reply (schema or JSON parse) or of its tool calls (`tool_calls.0.…`). */
  issues?: ValidationIssue[];
  /** Reasons given by the scorer, when a score was attached. */
  scoreReasons?: string[];
  /** Hosts given up on before `host` (callWithHosts): each failed for the infrastructure, not the model. */
  failovers?: HostFailure[];
  /** The prompt against the model's window: estimate, num_ctx sent, tokens evaluated, whether it was cut. */
  context?: CallContext;
}

/** A call's prompt against its model's window, as `metadata.context` records it. */
export interface CallContext {
  /** Tokens the prompt was estimated at before sending, calibrated for this model on this host. */
  estimate: number;
  /** The reply's `prompt_eval_count`: tokens the host evaluated. Absent when no reply came. */
  promptTokens?: number;
  /** The `num_ctx` sent with the call (absent: the host's default applied, `context.mode: 'off'`). */
  numCtx?: number;
  /** The largest num_ctx the call could have had: the model's trained length, capped by `context.maxNumCtx`. */
  window?: number;
  /** The reply shows the prompt was cut (fewer tokens evaluated than sent), or it filled the window. */
  truncated?: boolean;
  /** Why it counts as truncated, in words. */
  truncation?: string;
  /** `compaction`: a summary of an agent's older turns (counted apart in usage). */
  purpose?: 'compaction';
}

/** How a call's prompt is fitted to its model's window (`config.context`). */
export interface ContextConfig {
  /**
   * `auto` (default): estimate the prompt, choose `num_ctx` from the ladder, refuse a prompt that cannot fit, check the
   * reply for truncation. `off`: send `options` as given (a server that is not Ollama); the reply is still checked.
   */
  mode?: 'auto' | 'off';
  /** The largest `num_ctx` to ask for (a workflow's limit); the model's trained length bounds it too. */
  maxNumCtx?: number;
  /** The sizes `num_ctx` is chosen from, so the model is not reloaded for every prompt size. */
  ladder?: number[];
  /**
   * A reply whose prompt the host cut: `escalate` (default: the call fails with kind `context`, and a step escalates it
   * to the next model) or `flag` (accepted, marked in `metadata.context`, and the step flags it). An agent compacts.
   */
  onTruncation?: 'escalate' | 'flag';
  /** What the call is for, recorded in `metadata.context.purpose`. */
  purpose?: 'compaction';
}

export interface HostFailure extends CallError {
  /** Base URL of the host, without credentials. */
  host: string;
}

export interface ModelResult<T = unknown> {
  content: string;
  /** The parsed and validated reply, when `json` or `schema` was asked for and it passed. */
  data?: T;
  /** A thinking model's reasoning (`think`), streamed apart from `content` and never validated as the answer. */
  thinking?: string;
  /** The tools the model called, in order; present only when it called any. */
  toolCalls?: ToolCall[];
  model: string;
  tokensIn: number;
  tokensOut: number;
  durationMs: number;
  /**
   * Client-side time from sending the request to the first streamed token of thinking OR content (whichever comes
   * first: for a thinking model that is when it starts reasoning); null when none arrived.
   */
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
  /** Sent as Ollama's `think`; a model without the capability answers 400 (bad-request). */
  think?: Think;
  /** Tools the model may call; every call in a reply is validated against its tool's `input`. */
  tools?: ToolSpec[];
  /** How the prompt is fitted to the model's window (num_ctx chosen per call; see ContextConfig). */
  context?: ContextConfig;
}

export interface CallOptions {
  /** Cancels the call: the HTTP request is aborted and the result has kind `aborted`. */
  signal?: AbortSignal;
  /** Called with each streamed piece of content, for live views. */
  onToken?: (piece: string) => void;
  /** Called with each streamed piece of a thinking model's reasoning. */
  onThinking?: (piece: string) => void;
  /**
   * Model windows and token calibration to use: share one across the calls of a process (a run's services do). Default:
   * the process's own (`defaultContextWindows`).
   */
  windows?: ContextWindows;
}
