// The simulator's tokenizer: a deterministic model of a byte-level BPE (words, sub-word chunks, digits, punctuation
// merges, whitespace runs) and of the chat template's tokens around each message. THE token count of the simulator.
import { hashString } from '../../util/random.ts';

/**
 * Which vocabulary a model family has. `qwen` (qwen2/qwen3, ~150k tokens) splits numbers into single digits;
 * `llama` (llama3, ~128k tokens) groups digits by three, cuts rare words into longer pieces and starts with a BOS
 * token. Anything else tokenizes like `qwen`.
 */
export type Vocabulary = 'qwen' | 'llama';

export function vocabularyOf(family: string): Vocabulary {
  return family === 'llama' ? 'llama' : 'qwen';
}

// Words a 100k+ vocabulary holds whole (with or without the space before them): the frequent ones of English prose
// and of code. Any other word is cut into pieces.
const COMMON = new Set(
  (
    'the of and to in is it that for on as with was be by this are or at from have an not but they which one you all ' +
    'were we when there can more if no out so said what up its about into than them only other new some could time ' +
    'these two may then do first any my now such like our over man me even most made after also did many before must ' +
    'through back years where much your way well down should because each just those people how too little state good ' +
    'very make world still own see men work long get here between both life being under never day same another know ' +
    'while last might us great old year off come since against go came right used take three number part found ' +
    'give think next file line code value name data error result model tool message content role system user ' +
    'assistant call function return const let var type interface class import export default async await true false ' +
    'null undefined string boolean object array list map set key string void int float def self print none elif ' +
    'public private static final package struct impl pub use match case switch break continue while for try catch ' +
    'throw finally yield lambda test expect describe input output step run task plan note text read write path ' +
    'size count index start end open close query search result results items item total price order date status ' +
    'http https json html api url id version config options client server request response host port model tokens'
  ).split(' '),
);

/** Sub-word pieces a vocabulary often merges in punctuation runs (JSON, code, markdown). */
const PUNCT_MERGES = new Set([
  '{"', '"}', '":', '",', '("', '")', '["', '"]', '},', '],', '{}', '[]', '()', '));', ');', '();', '=>', '==', '===', '!=',
  '!==', '<=', '>=', '//', '/*', '*/', '::', '->', '...', '**', '##', '###', '--', '---', '__', '":"', '","', '":{', '":[',
  '}}', ']]', '{{', '}]', '};', '});', '`,', '```', '.\n', ',\n', ':\n', '?\n', '!\n', '%)', '".', '"?', '\'s', '%',
]);

const isCjk = (code: number): boolean =>
  (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3040 && code <= 0x30ff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0x3400 && code <= 0x4dbf);

// Pre-tokenization as the GPT-4 / llama3 / qwen2 pattern does it: contractions, a letter run with the space before it,
// digits, a punctuation run with the space before it, newlines, other whitespace.
const PRETOKEN = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

/** Pieces of a rare ASCII word: lengths drawn from the word itself, so the same word always cuts the same way. */
function wordPieces(word: string, vocabulary: Vocabulary): number {
  const n = word.length;
  if (n <= 4 || COMMON.has(word)) return 1;
  const base = vocabulary === 'llama' ? 4 : 3;
  let pieces = 0;
  for (let i = 0; i < n; pieces++) i += base + (hashString(word.slice(i, i + 3)) % 3);
  return pieces;
}

/** A run of letters, maybe camelCase or ALLCAPS, maybe in another script. */
function letterTokens(run: string, vocabulary: Vocabulary): number {
  const first = run.codePointAt(0) ?? 0;
  if (isCjk(first)) {
    // Frequent pairs of characters are one token: about 1.4 characters a token.
    let tokens = 0;
    const chars = Array.from(run);
    for (let i = 0; i < chars.length; tokens++) i += hashString(`${chars[i] ?? ''}${chars[i + 1] ?? ''}`) % 10 < 4 && i + 1 < chars.length ? 2 : 1;
    return tokens;
  }
  if (!/^[A-Za-z]+$/.test(run)) {
    // Accented Latin, Cyrillic, Greek, Arabic…: the byte-level vocabulary holds short pieces only.
    let tokens = 0;
    for (let i = 0; i < run.length; tokens++) i += 2 + (hashString(run.slice(i, i + 2)) % 2);
    return tokens;
  }
  if (run.length > 1 && run === run.toUpperCase()) return Math.ceil(run.length / 2); // CONSTANT_CASE is costly
  // camelCase and PascalCase: each hump on its own.
  const humps = run.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g) ?? [run];
  let tokens = 0;
  for (const hump of humps) tokens += wordPieces(hump.toLowerCase(), vocabulary);
  return tokens;
}

function punctuationTokens(run: string): number {
  let tokens = 0;
  let i = 0;
  while (i < run.length) {
    const code = run.charCodeAt(i);
    if (code > 0x7f) {
      // A symbol outside ASCII (an emoji, an arrow): its UTF-8 bytes, two at a time.
      const point = run.codePointAt(i) ?? code;
      const bytes = point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
      tokens += Math.ceil(bytes / 2);
      i += point > 0xffff ? 2 : 1;
      continue;
    }
    const three = run.slice(i, i + 3);
    const two = run.slice(i, i + 2);
    i += PUNCT_MERGES.has(three) ? 3 : PUNCT_MERGES.has(two) ? 2 : 1;
    tokens++;
  }
  return tokens;
}

const LETTER = /\p{L}/u;
const DIGIT = /\p{N}/u;

function classOf(code: number): 'letter' | 'digit' | 'other' {
  if (code < 0x80) {
    if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return 'letter';
    return code >= 0x30 && code <= 0x39 ? 'digit' : 'other';
  }
  const char = String.fromCodePoint(code);
  return LETTER.test(char) ? 'letter' : DIGIT.test(char) ? 'digit' : 'other';
}

/** Tokens of a piece of text with no template around it (what an embedding input or a raw prompt costs). */
export function textTokens(text: string, vocabulary: Vocabulary = 'qwen'): number {
  let tokens = 0;
  for (const match of text.matchAll(PRETOKEN)) {
    const piece = match[0];
    const spaced = piece.charCodeAt(0) === 0x20 && piece.length > 1;
    const body = spaced ? piece.slice(1) : piece;
    const code = body.codePointAt(0) ?? 0;
    const kind = classOf(code);
    if (piece.charCodeAt(0) === 0x27 && piece.length <= 3 && /^'[a-z]+$/.test(piece)) tokens += 1;
    else if (kind === 'letter') tokens += letterTokens(body, vocabulary);
    else if (kind === 'digit') {
      // The space before a number is a token of its own; qwen splits digits, llama groups them by three.
      tokens += (spaced ? 1 : 0) + (vocabulary === 'llama' ? Math.ceil(body.length / 3) : body.length);
    } else if (/^\s+$/.test(piece)) {
      const newlines = (piece.match(/\n/g) ?? []).length;
      // A newline run is one token per two; indentation one per four spaces (tabs one each).
      tokens += newlines > 0 ? Math.ceil(newlines / 2) + (/[ \t]/.test(piece) ? 1 : 0) : Math.ceil(piece.replace(/\t/g, '    ').length / 4);
    } else tokens += punctuationTokens(body);
  }
  return tokens;
}

/**
 * Tokens of the texts, summed, at least 1: what the simulator counts for `/api/embed` inputs and any text without a
 * chat template. A chat prompt costs more: see `promptTokens`.
 */
export function countTokens(messages: readonly { content: string }[], vocabulary: Vocabulary = 'qwen'): number {
  let total = 0;
  for (const message of messages) total += textTokens(message.content, vocabulary);
  return Math.max(1, total);
}

/** A chat message as the template renders it (roles lower-cased; tool calls and images as sent). */
export interface TemplateMessage {
  role: string;
  content: string;
  tool_calls?: readonly { function: { name: string; arguments: unknown } }[];
  images?: readonly string[];
}

/** A clip image's place in the prompt, as Ollama's truncation heuristic counts it (server/prompt.go). */
export const IMAGE_TOKENS = 768;

// ChatML: `<|im_start|>` role `\n` … `<|im_end|>` `\n`; a tool result sits in `<tool_response>\n…\n</tool_response>`,
// a tool call in `<tool_call>\n{"name": …, "arguments": …}\n</tool_call>`.
const MESSAGE_OVERHEAD = 5;
const TOOL_RESULT_OVERHEAD = 4;
const TOOL_CALL_OVERHEAD = 4;
/** `<|im_start|>assistant\n`, which every chat prompt ends with; a thinking model's template adds `<think>\n`. */
const GENERATION_PROMPT = 3;
const THINK_OPEN = 2;

const TOOLS_PREAMBLE =
  '\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function ' +
  'signatures within <tools></tools> XML tags:\n<tools>\n\n</tools>\n\nFor each function call, return a json object ' +
  'with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, ' +
  '"arguments": <args-json-object>}\n</tool_call>';

/** Tokens one message takes in the rendered prompt: its content and the template around it. */
export function messageTokens(message: TemplateMessage, vocabulary: Vocabulary = 'qwen'): number {
  let tokens = MESSAGE_OVERHEAD + textTokens(message.content, vocabulary);
  if (message.role === 'tool') tokens += TOOL_RESULT_OVERHEAD;
  for (const call of message.tool_calls ?? []) {
    tokens += TOOL_CALL_OVERHEAD + textTokens(JSON.stringify({ name: call.function.name, arguments: call.function.arguments }), vocabulary);
  }
  tokens += IMAGE_TOKENS * (message.images?.length ?? 0);
  return tokens;
}

/** Tokens that do not belong to any message: the tools block of the system turn, the generation prompt, BOS. */
export function fixedTokens(tools: readonly unknown[], think: boolean, vocabulary: Vocabulary = 'qwen'): number {
  let tokens = GENERATION_PROMPT + (think ? THINK_OPEN : 0) + (vocabulary === 'llama' ? 1 : 0);
  if (tools.length > 0) {
    tokens += textTokens(TOOLS_PREAMBLE, vocabulary);
    for (const tool of tools) tokens += 1 + textTokens(JSON.stringify(tool), vocabulary);
  }
  return tokens;
}

/** Tokens of a whole chat prompt with nothing cut: every message, the tools' block, the generation prompt. */
export function chatPromptTokens(messages: readonly TemplateMessage[], tools: readonly unknown[] = [], think = false, vocabulary: Vocabulary = 'qwen'): number {
  return messages.reduce((sum, m) => sum + messageTokens(m, vocabulary), fixedTokens(tools, think, vocabulary));
}

/** What Ollama would evaluate for a chat prompt, and what it cut to fit `numCtx`. */
export interface ChatPromptFit {
  /** The messages the model sees: system messages kept, the oldest others dropped. */
  kept: TemplateMessage[];
  /** Messages dropped from the front. */
  dropped: number;
  /** Tokens cut by the runner after the message-level cut (a last message too long on its own). */
  cutTokens: number;
  /** The prompt_eval_count to report. */
  promptTokens: number;
}

/**
 * Ollama's `chatPrompt` truncation (server/prompt.go): drop messages from the front, keeping every system message
 * and always the last message, until the rendered prompt fits `numCtx`; then the runner cuts a prompt still longer
 * than `numCtx - 1` tokens, keeping `numKeep` tokens at the front and discarding after them until about half the
 * window is free (llm/llama_server.go). Linear in the number of messages.
 */
export function fitChatPrompt<M extends TemplateMessage>(
  messages: readonly M[],
  fixed: number,
  numCtx: number,
  options: { numKeep: number; vocabulary?: Vocabulary },
): { kept: M[]; dropped: number; cutTokens: number; promptTokens: number } {
  const vocabulary = options.vocabulary ?? 'qwen';
  const counts = messages.map((m) => messageTokens(m, vocabulary));
  // suffix[i]: tokens of messages i.. ; systemBefore: tokens of the system messages before i.
  const suffix = new Array<number>(counts.length + 1).fill(0);
  for (let i = counts.length - 1; i >= 0; i--) suffix[i] = (suffix[i + 1] ?? 0) + (counts[i] ?? 0);
  let start = 0;
  let systemBefore = 0;
  for (let i = 0; i < messages.length; i++) {
    if (i > 0 && messages[i - 1]?.role === 'system') systemBefore += counts[i - 1] ?? 0;
    start = i;
    if (fixed + systemBefore + (suffix[i] ?? 0) <= numCtx) break;
  }
  const kept = messages.filter((m, i) => i >= start || m.role === 'system');
  const dropped = messages.length - kept.length;
  const total = kept.reduce((sum, m) => sum + messageTokens(m, vocabulary), fixed);
  const cut = runnerCut(total, numCtx, options.numKeep + (vocabulary === 'llama' ? 1 : 0));
  return { kept, dropped, cutTokens: total - cut, promptTokens: cut };
}

/**
 * The runner's cut of a prompt of `tokens` into a window of `numCtx`: unchanged when it fits in `numCtx - 1`; else
 * `numKeep` tokens kept at the front and the rest cut from after them so that about half the window is left free.
 */
export function runnerCut(tokens: number, numCtx: number, numKeep: number): number {
  if (tokens <= numCtx - 1 || numCtx <= 1) return tokens;
  const keep = Math.max(0, Math.min(numKeep, numCtx - 1));
  return numCtx - Math.max(Math.floor((numCtx - keep) / 2), 1);
}
