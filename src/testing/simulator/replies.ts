// What the model says: the scripted or synthesized content, its faults, and its split into streamed tokens.
import { createRandom, hashString } from '../../util/random.ts';
import { brokenJson, FORMAT_FAULTS, schemaViolation, truncatePieces } from './faults.ts';
import { synthesize } from './schema.ts';
import { pick, words } from './strings.ts';
import type { FaultKind, ScriptedReply, SimReply, SimRequest } from './types.ts';

export interface Reply {
  /** The content as streamed, one token per piece. */
  pieces: string[];
  doneReason: 'stop' | 'length';
  toolCalls?: SimReply['toolCalls'];
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

/** Roughly what a tokenizer would count for a prompt: one token per 4 characters, at least 1. */
export function countTokens(messages: readonly { content: string }[]): number {
  const chars = messages.reduce((sum, m) => sum + m.content.length, 0);
  return Math.max(1, Math.ceil(chars / 4));
}

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

/** Decides the whole reply before any of it is sent, so faults and content are reproducible. */
export async function planReply(input: PlanInput): Promise<Reply> {
  const { request } = input;
  const scripted = input.script ? await input.script(request) : undefined;
  const reply: SimReply | undefined = typeof scripted === 'string' ? { content: scripted } : scripted;
  let content = reply?.content ?? synthesizeContent(request, input.model, input.seed, input.replyTokens);
  const structured = hasFormat(request.format);
  let fault = reply?.fault ?? input.drawnFault;
  // Broken or off-schema JSON only means something when JSON was asked for.
  if (fault !== undefined && FORMAT_FAULTS.includes(fault) && !structured) fault = undefined;
  if (fault === 'badjson') content = brokenJson(content);
  if (fault === 'schema') content = schemaViolation(content, request.format);
  let pieces = splitPieces(content, structured);
  let doneReason: Reply['doneReason'] = reply?.doneReason ?? 'stop';
  if (fault === 'truncate') {
    pieces = truncatePieces(pieces);
    doneReason = 'length';
  }
  const limit = request.options?.num_predict;
  if (typeof limit === 'number' && limit > 0 && pieces.length > limit) {
    pieces = pieces.slice(0, limit);
    doneReason = 'length';
  }
  return {
    pieces,
    doneReason,
    ...(reply?.toolCalls && reply.toolCalls.length > 0 ? { toolCalls: reply.toolCalls } : {}),
    ...(fault !== undefined ? { fault } : {}),
  };
}
