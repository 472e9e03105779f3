// The simulator's public shapes: options, scripted replies, faults, stats and the handle returned by startSimulator.
import type { CassetteHandle, CassetteStats } from '../cassette/types.ts';
import type { CassetteSource } from '../cassette/open.ts';

export interface SimulatorOptions {
  /** Default 0: an ephemeral port, read it back from `Simulator.port`. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 1. All randomness (replies, faults) derives from it. */
  seed?: number;
  /**
   * Default ['qwen2.5-coder:7b','qwen2.5-coder:14b','qwen2.5-coder:32b','llama3.2:3b','nomic-embed-text']. A name
   * gets the table entry of its known family (qwen3 → thinking, llava → vision, nomic-embed-text → embedding only,
   * …); a full entry sets any detail itself.
   */
  models?: (string | SimModel)[];
  /**
   * Model names (without tag) that /api/pull can fetch besides the built-in library list; anything else fails as
   * an unknown name does on registry.ollama.ai.
   */
  registry?: string[];
  /**
   * Defaults 0 / 0 / 0 (fast for tests). `loadMs` is paid by the first request for a model that is not loaded
   * (see /api/ps); `ttftMs` before the first token; `perTokenMs` before each token.
   */
  latency?: { loadMs?: number; ttftMs?: number; perTokenMs?: number };
  /** Slots per model, default 1 (Ollama's default). Requests beyond wait, with no headers sent, for a free slot. */
  numParallel?: number;
  /** Requests waiting for a slot beyond which a new one gets 503 busy. Default 512 (Ollama's OLLAMA_MAX_QUEUE). */
  maxQueue?: number;
  /** Default none. */
  faults?: FaultSpec;
  /** Per model name (or '*' for any model): replaces synthesis. */
  script?: Record<string, ScriptedReply>;
  /** Length of synthesized text replies, in tokens. Default 24. */
  replyTokens?: number;
  /**
   * The server's default context, like OLLAMA_CONTEXT_LENGTH: the num_ctx of a request that sets none and whose model
   * has no Modelfile `num_ctx`. Default 4096 (Ollama's default on a small GPU). A prompt longer than its num_ctx is cut
   * as Ollama cuts it, silently (see `stats().truncations`).
   */
  contextLength?: number;
  /**
   * Replays a recorded cassette (file path, entries, or `{ from, timing?, exhausted? }`) instead of simulating:
   * every Ollama path is answered from it, and a request it does not have gets a 500 naming the nearest recorded one.
   */
  cassette?: CassetteSource;
}

export type Capability = 'completion' | 'tools' | 'insert' | 'vision' | 'thinking' | 'embedding';

/** One row of the model table; unset fields come from the name's known family. */
export interface SimModel {
  name: string;
  family?: string;
  /** As Ollama shows it: '7B', '137M'. */
  parameterSize?: string;
  /** As Ollama shows it: 'Q4_K_M', 'F16', 'MXFP4'. */
  quantization?: string;
  contextLength?: number;
  /** The Modelfile's `PARAMETER num_ctx`: the context it runs with when a request sets none. Default: none. */
  numCtx?: number;
  /** Also the default length of its embedding vectors. */
  embeddingLength?: number;
  capabilities?: Capability[];
}

export type FaultKind =
  | '500'
  | '503'
  | 'hang'
  | 'reset'
  | 'midstream'
  | 'badjson'
  | 'schema'
  | 'truncate'
  | 'tools';

/** Either one total rate spread evenly over `kinds`, or a rate per kind. */
export type FaultSpec = { rate: number; kinds: FaultKind[] } | Partial<Record<FaultKind, number>>;

export type ScriptedReply = (req: SimRequest) => string | SimReply | Promise<string | SimReply>;

/** A tool call as Ollama sends it: `id` and `function.index` are filled in when a script leaves them out. */
export interface SimToolCall {
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

/** A tool a request offers: `{ type: 'function', function: { name, description, parameters } }`. */
export interface SimTool {
  type: string;
  function: { name: string; description?: string; parameters?: unknown };
}

export interface SimMessage {
  role: string;
  content: string;
  thinking?: string;
  tool_calls?: SimToolCall[];
  tool_name?: string;
  /** Images as sent (base64): each takes its place in the prompt's token count. */
  images?: string[];
}

export interface SimRequest {
  endpoint: 'chat' | 'generate';
  model: string;
  /**
   * For generate: the system prompt (if any) and the prompt as a user message. What the model SEES: when the prompt was
   * longer than `numCtx`, the oldest messages are gone (system messages and the last message stay), as in Ollama.
   */
  messages: SimMessage[];
  /** The tools offered (chat only), as sent. */
  tools?: SimTool[];
  /** Whether the reply thinks: `think` as sent, or on by default for a model with the thinking capability. */
  think: boolean;
  /** gpt-oss only: its reasoning effort. It always thinks (true/false are ignored) and "max" means "high". */
  thinkLevel?: 'low' | 'medium' | 'high';
  prompt?: string;
  format?: unknown;
  options?: Record<string, unknown>;
  stream: boolean;
  /** 1-based count of identical requests (same model, messages and format) seen since start or reset. */
  attempt: number;
  /** The context the request runs with (request, Modelfile, server default; capped by the trained length). */
  numCtx: number;
  /** Tokens the model evaluates: the prompt_eval_count the reply reports. */
  promptTokens: number;
  /** True when the prompt was cut to fit `numCtx`. */
  truncated: boolean;
}

export interface SimReply {
  content: string;
  /** Reasoning sent as `thinking`, before the content (only when the request thinks). */
  thinking?: string;
  doneReason?: 'stop' | 'length';
  /** Forces this fault for the request, whatever the configured rates say. */
  fault?: FaultKind;
  toolCalls?: SimToolCall[];
}

export interface ModelStats {
  requests: number;
  completed: number;
  tokensOut: number;
}

export interface SimulatorStats {
  /** Every HTTP request received on an Ollama path (including errors and 404s; not the /_simulator/ ones). */
  requests: number;
  /** Chat/generate replies delivered in full (done line written, or JSON body sent). */
  completed: number;
  /** Chat/generate traffic per model (the configured name, or the name as sent when unknown). */
  byModel: Record<string, ModelStats>;
  faults: Partial<Record<FaultKind, number>>;
  /** Chat/generate requests whose client went away before the reply was complete. */
  disconnects: number;
  /** Chat/generate requests being generated now. */
  inFlight: number;
  /** Requests waiting for a slot now. */
  queued: number;
  /** Highest number generating at once (whole server) since start or reset. */
  maxConcurrent: number;
  /** Chat/generate prompts cut to fit their num_ctx (messages dropped or tokens cut), as Ollama does silently. */
  truncations: number;
  /** Model loads, reloads for another num_ctx included (each costs `latency.loadMs`). */
  loads: number;
  /** Only when replaying a cassette: replayed, repeated, missed and unused exchanges. */
  cassette?: CassetteStats;
}

/** One chat/generate request that was answered in full. Times are epoch milliseconds. */
export interface CompletedRequest {
  endpoint: 'chat' | 'generate';
  model: string;
  /** hashString of the raw request body. */
  bodyHash: number;
  attempt: number;
  receivedAt: number;
  startedAt: number;
  finishedAt: number;
  doneReason: 'stop' | 'length';
  evalCount: number;
  /** The prompt_eval_count reported: tokens evaluated after any cut. */
  promptEvalCount: number;
  numCtx: number;
  /** The prompt was cut to fit `numCtx`. */
  truncated: boolean;
  /** The content fault injected into this reply (badjson, schema, truncate, tools), if any. */
  fault?: FaultKind;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:53121`: pass it as `host` to `new Ollama({ host })`. */
  url: string;
  port: number;
  stats(): SimulatorStats;
  /** Zeroes counters, the log and attempt counts, and unloads every model. */
  reset(): void;
  /** Stops listening and destroys every open socket (including hung requests). */
  close(): Promise<void>;
  /** Completed requests log, for tests: model, endpoint, a hash of the request body, timestamps. */
  log(): CompletedRequest[];
  /** Only when replaying a cassette: its misses, unused exchanges and `assertAllUsed()`. */
  cassette?: CassetteHandle;
}
