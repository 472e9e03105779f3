// Keeping a growing conversation inside its model's window: the context policy, when to compact, which turns a summary
// replaces, the summariser's own model step, and tool results clipped with a note to the model.
import { defaultModelConfig } from '../llm/config.ts';
import { estimateMessageTokens, estimatePromptTokens } from '../llm/context/estimate.ts';
import type { AttemptRecord } from './output.ts';
import type { ChatMessage, ToolSpec } from '../llm/types.ts';
import { modelStep, type ModelStepSpec } from './model-step.ts';

/**
 * How an agent keeps its transcript within the window. The system prompt and the task (the messages `prompt` built)
 * are kept word for word, and so are the last turns; when the next prompt would pass `compactAt` of the window, the
 * turns between are replaced by a summary written by a model call of its own (journaled, never paid twice).
 */
export interface ContextPolicy {
  /** Tokens the transcript is kept within. Default: the window the model's calls report (trained length, capped by the limits). */
  window?: number;
  /** Compact when the next prompt plus the reply would pass this share of the window. Default 0.75. */
  compactAt?: number;
  /** Turns (a model reply and its tools' results) kept word for word at the end. Default 2. */
  keepTurns?: number;
  /** A tool result longer than this is clipped, with a note to the model. Default: a quarter of the window. */
  maxToolResultTokens?: number;
  /** The model that writes summaries. Default: the first model of the agent's ladder. */
  summarizer?: string;
  /** The longest summary, in tokens. Default 512. */
  summaryTokens?: number;
}

export interface ResolvedContextPolicy {
  window: number | null;
  compactAt: number;
  keepTurns: number;
  maxToolResultTokens: number | null;
  summaryTokens: number;
}

/** The defaults filled in, and each value checked: a policy that cannot work is a mistake in the workflow. */
export function resolvePolicy(id: string, policy: ContextPolicy = {}): ResolvedContextPolicy {
  const fail = (what: string): never => {
    throw new TypeError(`agent step "${id}": context.${what}`);
  };
  const positive = (value: number | undefined, name: string): number | null => {
    if (value === undefined) return null;
    return Number.isInteger(value) && value > 0 ? value : fail(`${name} must be a positive integer, got ${String(value)}`);
  };
  const compactAt = policy.compactAt ?? 0.75;
  if (!(compactAt > 0 && compactAt < 1)) fail(`compactAt must be between 0 and 1, got ${String(policy.compactAt)}`);
  return {
    window: positive(policy.window, 'window'),
    compactAt,
    keepTurns: positive(policy.keepTurns, 'keepTurns') ?? 2,
    maxToolResultTokens: positive(policy.maxToolResultTokens, 'maxToolResultTokens'),
    summaryTokens: positive(policy.summaryTokens, 'summaryTokens') ?? 512,
  };
}

/** What an agent remembers about its window between turns (plain JSON, in its context). */
export interface WindowState {
  /** The smallest window its calls reported (the model every turn starts with), or the policy's; null until known. */
  window: number | null;
  /** Tokens the last turn's prompt took (its prompt_eval_count), and how many messages that prompt had. */
  lastPrompt: { tokens: number; messages: number } | null;
  /** The host's count over the estimate, for messages added since. */
  ratio: number;
}

/** What the last turn's attempts taught about the window: its size and the host's count of the prompt. */
export function learnWindow(state: WindowState, attempts: readonly AttemptRecord[], sent: readonly ChatMessage[], tools: readonly ToolSpec[], policyWindow: number | null): WindowState {
  let window = state.window;
  for (const attempt of attempts) {
    const seen = attempt.context?.window;
    if (seen !== undefined && (window === null || seen < window)) window = seen;
  }
  if (policyWindow !== null) window = window === null ? policyWindow : Math.min(window, policyWindow);
  const counted = [...attempts].reverse().find((a) => a.context?.promptTokens !== undefined && !a.context.truncated);
  const tokens = counted?.context?.promptTokens;
  if (tokens === undefined) return { ...state, window };
  const estimate = estimatePromptTokens(sent, tools);
  return { window, lastPrompt: { tokens, messages: sent.length }, ratio: estimate > 0 ? tokens / estimate : state.ratio };
}

/** The next prompt's tokens: the host's count of the last one, plus the estimate of what was added since. */
export function nextPromptTokens(state: WindowState, messages: readonly ChatMessage[], tools: readonly ToolSpec[]): number {
  const last = state.lastPrompt;
  if (last !== null && last.messages <= messages.length) {
    let added = 0;
    for (let i = last.messages; i < messages.length; i++) added += estimateMessageTokens(messages[i] as ChatMessage);
    return last.tokens + added * state.ratio;
  }
  return estimatePromptTokens(messages, tools) * state.ratio;
}

/** The part of the transcript a summary replaces: messages `from` (inclusive) to `to` (exclusive). */
export interface CompactionSpan {
  from: number;
  to: number;
}

/**
 * Which messages the next summary replaces: after the head (the prompt) and any earlier summary, before the last
 * `keepTurns` turns (fewer when they would take more than 40 % of the window); at most about 60 % of the window at a
 * time, oldest first, so the summariser's own prompt fits. Null when nothing can be compacted.
 */
export function compactionSpan(messages: readonly ChatMessage[], head: number, summarised: boolean, keepTurns: number, window: number): CompactionSpan | null {
  const start = head + (summarised ? 1 : 0);
  // The tail: whole turns, each starting with the assistant message whose tool calls the results answer.
  let tail = messages.length;
  let turns = 0;
  let tailTokens = 0;
  for (let i = messages.length - 1; i >= start && turns < keepTurns; i--) {
    tailTokens += estimateMessageTokens(messages[i] as ChatMessage);
    if (messages[i]?.role === 'assistant') {
      if (turns > 0 && tailTokens > 0.4 * window) break;
      turns++;
      tail = i;
    }
  }
  let to = start;
  let span = 0;
  while (to < tail && (to === start || span + estimateMessageTokens(messages[to] as ChatMessage) <= 0.6 * window)) {
    span += estimateMessageTokens(messages[to] as ChatMessage);
    to++;
  }
  // A span that would not end on a turn's boundary leaves tool results without their call: extend it to one.
  while (to < tail && messages[to]?.role === 'tool') to++;
  // The summary takes a message's place: without an earlier one to replace, one message alone would gain nothing.
  return to - start >= (summarised ? 1 : 2) ? { from: start, to } : null;
}

const SUMMARY_MARK = '[Summary of the earlier turns of this conversation, written to keep it within the model\'s context window]';

/** A message as the summariser reads it: role, then its words, its tool calls or its tool's name. */
function asText(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((c) => `called ${c.function.name}(${JSON.stringify(c.function.arguments)})`);
  const who = message.role === 'tool' ? `tool ${message.tool_name ?? ''}`.trim() : message.role;
  return `${who}: ${[message.content, ...calls].filter((part) => part !== '').join('\n')}`;
}

/** The summariser's conversation: what to keep, then the earlier summary (if any) and the turns it replaces. */
export function summaryRequest(messages: readonly ChatMessage[], span: CompactionSpan, summarised: boolean, summaryTokens: number): ChatMessage[] {
  const previous = summarised ? messages[span.from - 1]?.content.replace(SUMMARY_MARK, '').trim() : undefined;
  const turns = messages.slice(span.from, span.to).map(asText).join('\n\n');
  return [
    {
      role: 'system',
      content:
        'You compress the working memory of an agent that is still at work on its task. Rewrite the conversation below ' +
        'as a summary the agent can continue from: the facts and results found so far (keep numbers, names, paths and ' +
        'identifiers exactly), what was decided and why, what was tried and failed, and what remains to be done. Leave ' +
        `out pleasantries and repetition. At most about ${Math.round(summaryTokens * 0.7)} words.`,
    },
    { role: 'user', content: `${previous ? `Summary so far:\n${previous}\n\nWhat happened since:\n` : ''}${turns}` },
  ];
}

/** The transcript with the span replaced by the summary, placed right after the head. */
export function applySummary(messages: readonly ChatMessage[], head: number, summarised: boolean, span: CompactionSpan, summary: string): ChatMessage[] {
  const note: ChatMessage = { role: 'user', content: `${SUMMARY_MARK}\n${summary.trim()}` };
  return [...messages.slice(0, head), note, ...messages.slice(span.to)];
}

/**
 * A tool result cut to about `maxTokens` (by its share of the estimate), with a note saying so: the model asks for a
 * narrower part instead of the window being spent on one result.
 */
export function clipToolResult(content: string, maxTokens: number | null): string {
  if (maxTokens === null) return content;
  const tokens = estimateMessageTokens({ role: 'tool', content });
  if (tokens <= maxTokens) return content;
  const keep = Math.floor((content.length * maxTokens * 0.9) / tokens);
  return `${content.slice(0, keep)}\n[clipped: this result was about ${Math.round(tokens)} tokens, too long for the context window; only the first ` +
    `${maxTokens} or so are shown. Ask for a narrower part (a range, a filter, a smaller page) if you need the rest.]`;
}

/** The model step that writes summaries: one model, a bounded reply, no tools, its calls marked as compaction. */
export function summarizerStep(id: string, spec: Pick<ModelStepSpec<unknown>, 'ladder' | 'backoff' | 'outage' | 'config'>, summarizer: string | undefined, summaryTokens: number) {
  const model = summarizer ?? spec.ladder?.[0] ?? defaultModelConfig.model;
  const { tools: _tools, ...config } = spec.config ?? {};
  return modelStep<{ messages: ChatMessage[] }>({
    id: `${id}.compact`,
    ladder: [model],
    maxRetries: 1,
    ...(spec.backoff ? { backoff: spec.backoff } : {}),
    ...(spec.outage ? { outage: spec.outage } : {}),
    prompt: (input) => input.messages,
    config: { ...config, maxTokens: summaryTokens, context: { ...config.context, purpose: 'compaction' } },
  });
}
