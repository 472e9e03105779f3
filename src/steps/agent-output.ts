// What an agent step keeps while it loops (its own context) and what it gives its parent (typed output + transcript).
import type { ChatMessage, ModelResult, ToolCall } from '../llm/types.ts';
import type { CompactionSpan, WindowState } from './compaction.ts';
import type { AttemptRecord, StepOutput } from './output.ts';
import type { ToolCallOutput } from './tool-call.ts';

/** One tool call the agent made, as its output summarises it. */
export interface ToolCallRecord {
  /** The model turn that asked for it (1-based). */
  turn: number;
  tool: string;
  /** False when the tool threw (the model was shown `error: …`) or the arguments were refused. */
  ok: boolean;
  /** True when its result came from the journal after a restart: the tool did not run again. */
  replayed: boolean;
}

/** One compaction: older turns replaced by a summary to keep the transcript within the window. */
export interface CompactionRecord {
  /** Model turns taken when it happened. */
  turn: number;
  /** Messages the summary replaced (an earlier summary included). */
  messages: number;
  /** The transcript's tokens (estimated) before and after. */
  before: number;
  after: number;
  /** What the summary cost (0 when replayed from the journal). */
  tokensIn: number;
  tokensOut: number;
  replayed: boolean;
}

/** The transcript in numbers: model turns taken, every tool call made, every compaction. */
export interface AgentTranscript {
  turns: number;
  toolCalls: number;
  calls: ToolCallRecord[];
  compactions: CompactionRecord[];
}

/** A model step's output (`data` typed by the schema, attempts of every turn, flags) plus the transcript summary. */
export interface AgentOutput<T> extends StepOutput<T> {
  transcript: AgentTranscript;
}

/** The agent's bookkeeping: lives in its machine (plain JSON, persisted with it), never in the workflow's context. */
export interface AgentContext<TInput, T> {
  step: string;
  /** Random per entry of the step, persisted with it: tool-call journal keys are built from it. */
  pass: string;
  /** The step's input, handed to every tool as `ctx.input`. */
  input: TInput;
  /** The conversation so far: the prompt, then each turn's assistant message and its tools' results. */
  messages: ChatMessage[];
  /** Model turns completed (each one a model step, retries and escalations inside it). */
  turns: number;
  /** Tool calls started, refused ones included: bounded by `maxToolCalls`. */
  toolCalls: number;
  /** The calls the last turn asked for, and their results by index as they come in. */
  pending: ToolCall[];
  results: (ToolCallOutput | null)[];
  calls: ToolCallRecord[];
  attempts: AttemptRecord[];
  /** The last turn's accepted reply: the final answer once the step is done. */
  last: ModelResult | null;
  data: T | null;
  status: 'running' | 'done' | 'flagged';
  reasons: string[];
  /** Flags of turns accepted with one (a prompt the host cut, under `onTruncation: 'flag'`): the step ends with them. */
  turnFlags: string[];
  /** Messages at the front that `prompt` built (the system prompt and the task): never compacted. */
  head: number;
  /** A summary of earlier turns follows the head. */
  summarised: boolean;
  /** The window, and the host's count of the last prompt. */
  window: WindowState;
  /** The messages being summarised, while compacting. */
  compacting: CompactionSpan | null;
  compactions: CompactionRecord[];
  /** Compactions in a row asked for by a turn too long for the window (bounded). */
  rescues: number;
}
