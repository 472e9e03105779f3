// How much of a request the model sees: the num_ctx it runs with (request, Modelfile, server default, capped by the
// trained length) and the prompt cut to fit it, as Ollama cuts it (silently).
import type { ModelEntry } from './models.ts';
import { fitChatPrompt, fixedTokens, runnerCut, textTokens, vocabularyOf, type Vocabulary } from './tokens.ts';
import type { SimMessage, SimTool } from './types.ts';

/** Ollama's default num_keep (api.DefaultOptions): tokens the runner keeps at the front when it cuts a prompt. */
const DEFAULT_NUM_KEEP = 4;

const integerOption = (options: Record<string, unknown> | undefined, name: string): number | undefined => {
  const value = options?.[name];
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : undefined;
};

/**
 * The num_ctx a request asks for, in Ollama's order: `options.num_ctx`, else the Modelfile's `num_ctx`, else the
 * server's default (`OLLAMA_CONTEXT_LENGTH`) — server/routes.go modelOptions, before the scheduler's floors. The embed
 * handler measures its inputs against this one (capped by the trained length).
 */
export function requestedNumCtx(entry: ModelEntry, options: Record<string, unknown> | undefined, serverDefault: number): number {
  return integerOption(options, 'num_ctx') ?? entry.numCtx ?? serverDefault;
}

/**
 * The context a request runs with: the num_ctx it asks for (requestedNumCtx), at least 4 (2048 for a vision model),
 * at most the trained length (server/sched.go getRunner and effectiveContext).
 */
export function numCtxFor(entry: ModelEntry, options: Record<string, unknown> | undefined, serverDefault: number): number {
  let numCtx = requestedNumCtx(entry, options, serverDefault);
  if (numCtx < 4) numCtx = 4;
  if (entry.capabilities.includes('vision')) numCtx = Math.max(numCtx, 2048);
  return entry.contextLength > 0 ? Math.min(numCtx, entry.contextLength) : numCtx;
}

export interface PromptFit {
  numCtx: number;
  /** The conversation the model sees: what was cut is gone. */
  messages: SimMessage[];
  /** A raw /api/generate prompt as the model sees it. */
  prompt?: string;
  /** The honest prompt_eval_count: tokens evaluated after any cut. */
  promptTokens: number;
  /** Messages dropped from the front (chat), 0 when none. */
  dropped: number;
  /** Tokens the runner cut from a prompt still too long (a raw prompt, or a last message too long on its own). */
  cutTokens: number;
  truncated: boolean;
}

export interface FitInput {
  entry: ModelEntry;
  /** The conversation (chat), or the system prompt and prompt as messages (templated generate). */
  messages: SimMessage[];
  tools: SimTool[];
  think: boolean;
  /** A raw /api/generate prompt: no template, cut by the runner only. */
  raw?: string;
  options: Record<string, unknown> | undefined;
  serverDefault: number;
}

/** The first `keep` and the last `rest` tokens' worth of `text`, by their share of its tokens (the runner cuts ids, not characters). */
function cutText(text: string, total: number, keep: number, rest: number): string {
  if (total <= 0) return text;
  const at = (tokens: number) => Math.round((text.length * tokens) / total);
  return `${text.slice(0, at(keep))}${text.slice(text.length - at(rest))}`;
}

/** What the model evaluates for this request under its num_ctx. */
export function fitPrompt(input: FitInput): PromptFit {
  const { entry } = input;
  const vocabulary: Vocabulary = vocabularyOf(entry.details.family);
  const numCtx = numCtxFor(entry, input.options, input.serverDefault);
  const numKeep = integerOption(input.options, 'num_keep') ?? DEFAULT_NUM_KEEP;
  if (input.raw !== undefined) {
    const total = Math.max(1, textTokens(input.raw, vocabulary) + (vocabulary === 'llama' ? 1 : 0));
    const promptTokens = runnerCut(total, numCtx, numKeep < 0 ? total : numKeep);
    const truncated = promptTokens < total;
    const keep = Math.min(Math.max(numKeep, 0), promptTokens);
    return {
      numCtx,
      messages: input.messages,
      prompt: truncated ? cutText(input.raw, total, keep, promptTokens - keep) : input.raw,
      promptTokens,
      dropped: 0,
      cutTokens: total - promptTokens,
      truncated,
    };
  }
  const fixed = fixedTokens(input.tools, input.think, vocabulary);
  const fit = fitChatPrompt(input.messages, fixed, numCtx, { numKeep: Math.max(numKeep, 0), vocabulary });
  return {
    numCtx,
    messages: fit.kept,
    promptTokens: fit.promptTokens,
    dropped: fit.dropped,
    cutTokens: fit.cutTokens,
    truncated: fit.dropped > 0 || fit.cutTokens > 0,
  };
}
