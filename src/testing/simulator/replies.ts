// What the model says: the scripted or synthesized content, its faults, and its split into streamed tokens.
import { createRandom, hashString } from '../../util/random.ts';
import { brokenJson, FORMAT_FAULTS, TOOL_FAULTS, schemaViolation, truncatePieces } from './faults.ts';
import { synthesize } from './schema.ts';
import { pick, words } from './strings.ts';
import { corruptToolCalls, synthesizeToolCalls, toWire, wantsToolCall, type WireToolCall } from './tools.ts';
import type { FaultKind, ScriptedReply, SimReply, SimRequest } from './types.ts';

export interface Reply {
  /** The reasoning as streamed (before the content), one token per piece; empty when the request does not think. */
  thinking: string[];
  /** The content as streamed, one token per piece. */
  pieces: string[];
  doneReason: 'stop' | 'length';
  toolCalls?: WireToolCall[];
  /** The fault this request suffers (drawn, or forced by the script). */
  fault?: FaultKind;
}

/** format "json" or a JSON Schema object; "" and null mean none, as in Ollama. */
export function hasFormat(format: unknown): boolean {
  return format === 'json' || (typeof format === 'object' && format !== null && !Array.isArray(format));
}

/**
 * Streamed pieces: text splits into words with their trailing whitespace, JSON into ~4-character pieces (as
 * tokenizers cut punctuation-heavy text). Joining the pieces gives the content back exactly.
 */
export function splitPieces(content: string, structured: boolean): string[] {
  if (content === '') return [];
  if (structured) {
    const chars = Array.from(content);
    const pieces: string[] = [];
    for (let i = 0; i < chars.length; i += 4) pieces.push(chars.slice(i, i + 4).join(''));
    return pieces;
  }
  return content.match(/\s*\S+\s*/g) ?? [content];
}

/** The simulator's token counter lives with its tokenizer; re-exported here, where its callers found it. */
export { countTokens } from './tokens.ts';

/** Deterministic content for a request: hash(seed, model, messages, format) picks every word and value. */
export function synthesizeContent(request: SimRequest, model: string, seed: number, replyTokens: number): string {
  const random = createRandom(
    hashString(`reply|${seed}|${model}|${JSON.stringify(request.messages)}|${JSON.stringify(request.format ?? null)}`),
  );
  if (typeof request.format === 'object' && request.format !== null) {
    return JSON.stringify(synthesize(request.format, random));
  }
  if (request.format === 'json') {
    return JSON.stringify({
      answer: words(3 + Math.floor(random() * 6), random).join(' '),
      confidence: Math.round(random() * 100) / 100,
      items: words(1 + Math.floor(random() * 3), random),
      kind: pick(['note', 'result', 'summary'], random),
    });
  }
  const text = words(replyTokens, random);
  if (text.length === 0) return '';
  const first = text[0] as string;
  text[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${text.join(' ')}.`;
}

export interface PlanInput {
  request: SimRequest;
  /** The canonical model name, so `x` and `x:latest` get the same reply. */
  model: string;
  seed: number;
  replyTokens: number;
  script?: ScriptedReply;
  drawnFault?: FaultKind;
}

/** How much longer gpt-oss reasons at each effort than at "medium". */
const EFFORT = { low: 0.5, medium: 1, high: 2 };

/**
 * What a reasoning model says before answering: deterministic words, about half as long as the answer (gpt-oss:
 * scaled by its effort level).
 */
export function synthesizeThinking(request: SimRequest, model: string, seed: number, replyTokens: number): string {
  const random = createRandom(hashString(`think|${seed}|${model}|${JSON.stringify(request.messages)}`));
  const scale = request.thinkLevel ? EFFORT[request.thinkLevel] : 1;
  const text = words(Math.max(4, Math.ceil((replyTokens / 2) * scale)), random);
  return `Let me think: ${text.join(' ')}.`;
}

/** Tokens a tool call costs: about one per 4 characters of its JSON, as for any other text. */
export function toolCallTokens(calls: readonly WireToolCall[] | undefined): number {
  return calls && calls.length > 0 ? Math.max(1, Math.ceil(JSON.stringify(calls.map((c) => c.function)).length / 4)) : 0;
}

/** Decides the whole reply before any of it is sent, so faults and content are reproducible. */
export async function planReply(input: PlanInput): Promise<Reply> {
  const { request } = input;
  const scripted = input.script ? await input.script(request) : undefined;
  const reply: SimReply | undefined = typeof scripted === 'string' ? { content: scripted } : scripted;
  const key = `${input.seed}|${input.model}|${JSON.stringify(request.messages)}`;
  const tools = request.tools ?? [];
  let toolCalls: WireToolCall[] | undefined;
  if (reply?.toolCalls && reply.toolCalls.length > 0) toolCalls = toWire(reply.toolCalls, key);
  else if (!reply && tools.length > 0 && wantsToolCall(request.messages)) toolCalls = synthesizeToolCalls(tools, key);
  // A model that calls a tool says (almost) nothing else.
  let content = reply?.content ?? (toolCalls ? '' : synthesizeContent(request, input.model, input.seed, input.replyTokens));
  const thinkingText = !request.think
    ? ''
    : (reply?.thinking ?? synthesizeThinking(request, input.model, input.seed, input.replyTokens));
  const structured = hasFormat(request.format);
  let fault = reply?.fault ?? input.drawnFault;
  // Broken or off-schema JSON only means something when JSON was asked for; a bad tool call, when a tool is called.
  if (fault !== undefined && FORMAT_FAULTS.includes(fault) && !structured) fault = undefined;
  if (fault !== undefined && TOOL_FAULTS.includes(fault) && !toolCalls) fault = undefined;
  if (fault === 'badjson') content = brokenJson(content);
  if (fault === 'schema') content = schemaViolation(content, request.format);
  if (fault === 'tools' && toolCalls) toolCalls = corruptToolCalls(toolCalls, tools, key);
  let thinking = splitPieces(thinkingText, false);
  let pieces = splitPieces(content, structured);
  let doneReason: Reply['doneReason'] = reply?.doneReason ?? 'stop';
  if (fault === 'truncate') {
    pieces = truncatePieces(pieces);
    doneReason = 'length';
  }
  // num_predict bounds every generated token: reasoning first, then the answer; a cut-off call is no call.
  const limit = request.options?.num_predict;
  if (typeof limit === 'number' && limit > 0 && thinking.length + pieces.length + toolCallTokens(toolCalls) > limit) {
    thinking = thinking.slice(0, limit);
    pieces = pieces.slice(0, Math.max(0, limit - thinking.length));
    toolCalls = undefined;
    doneReason = 'length';
  }
  return {
    thinking,
    pieces,
    doneReason,
    ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}),
    ...(fault !== undefined ? { fault } : {}),
  };
}
