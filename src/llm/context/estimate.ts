// The pre-call estimate of a prompt's tokens: one pass over each text by character class, cached per message object.
import type { ToolSpec } from '../types.ts';
import { toolsForOllama } from '../tools.ts';

// Costs in tokens, fitted on prose, code, JSON, numbers and non-English text against byte-level BPE vocabularies of
// 128–150k tokens; a host's own tokenizer is then learned per model from the prompt_eval_count of earlier replies.
const WORD_FREE_LETTERS = 3; // a word this long is one token
const LETTERS_PER_EXTRA_TOKEN = 4.2;
const UPPER_HUMP = 0.3; // a capital inside a word (camelCase) usually starts a new piece
const DIGIT = 1; // qwen's vocabulary splits numbers into digits: the costliest there is, so never an underestimate
const PUNCTUATION = 0.7;
const NEWLINE = 0.7;
const EXTRA_SPACE = 0.25;
const CJK = 0.8;
const OTHER_LETTER = 0.45;
const OTHER_SYMBOL = 1.5;

/** Template tokens around each message (role markers, separators), and around a tool result or tool call. */
const PER_MESSAGE = 5;
const PER_TOOL_RESULT = 4;
const PER_TOOL_CALL = 4;
/** The assistant header every chat prompt ends with. */
const GENERATION_PROMPT = 3;
/** The fixed text a chat template puts before the tools' JSON (qwen2.5's "# Tools … <tool_call>" block). */
const TOOLS_PREAMBLE = 62;
/** Ollama's truncation heuristic counts an image as 768 tokens (server/prompt.go). */
export const IMAGE_TOKENS = 768;

const isCjk = (code: number): boolean =>
  (code >= 0x4e00 && code <= 0x9fff) || (code >= 0x3040 && code <= 0x30ff) || (code >= 0xac00 && code <= 0xd7af) || (code >= 0x3400 && code <= 0x4dbf);

/**
 * Tokens of a text with no template around it. Linear in its length, no allocation: letters cost by the length of
 * their word, digits and punctuation by the character, whitespace runs little, other scripts by their density.
 */
export function estimateTextTokens(text: string): number {
  let tokens = 0;
  let word = 0; // ASCII letters in the current word
  let prevSpace = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lower = c >= 0x61 && c <= 0x7a;
    const upper = c >= 0x41 && c <= 0x5a;
    if (lower || upper) {
      if (upper && word > 0) tokens += UPPER_HUMP;
      word++;
      prevSpace = false;
      continue;
    }
    if (word > 0) {
      tokens += word <= WORD_FREE_LETTERS ? 1 : 1 + (word - WORD_FREE_LETTERS) / LETTERS_PER_EXTRA_TOKEN;
      word = 0;
    }
    if (c === 0x20) {
      if (prevSpace) tokens += EXTRA_SPACE;
      prevSpace = true;
    } else if (c === 0x0a) {
      tokens += NEWLINE;
      prevSpace = true;
    } else if (c === 0x09 || c === 0x0d) {
      tokens += EXTRA_SPACE;
      prevSpace = true;
    } else if (c >= 0x30 && c <= 0x39) {
      tokens += DIGIT;
      prevSpace = false;
    } else if (c < 0x80) {
      tokens += PUNCTUATION;
      prevSpace = false;
    } else {
      if (isCjk(c)) tokens += CJK;
      else if (c >= 0xd800 && c <= 0xdbff) {
        tokens += OTHER_SYMBOL; // an astral character (emoji): its low surrogate follows
        i++;
      } else if (c >= 0x2000 && c <= 0x2bff) tokens += OTHER_SYMBOL; // punctuation, arrows, symbols
      else tokens += OTHER_LETTER;
      prevSpace = false;
    }
  }
  if (word > 0) tokens += word <= WORD_FREE_LETTERS ? 1 : 1 + (word - WORD_FREE_LETTERS) / LETTERS_PER_EXTRA_TOKEN;
  return tokens;
}

/** What a message carries besides its text: tool calls (as the assistant made them) and images. */
export interface EstimatedMessage {
  role: string;
  content: string;
  tool_calls?: readonly { function: { name: string; arguments: unknown } }[];
  images?: readonly unknown[];
}

// Messages of a long conversation are estimated once: a transcript passed again with one more turn costs one message.
// Keyed by the message object, so nothing is kept once the conversation is gone.
const perMessage = new WeakMap<object, number>();

/** Tokens one message takes in a chat prompt: its text, its tool calls, its images, and the template around it. */
export function estimateMessageTokens(message: EstimatedMessage): number {
  const known = perMessage.get(message);
  if (known !== undefined) return known;
  let tokens = PER_MESSAGE + estimateTextTokens(message.content);
  if (message.role === 'tool') tokens += PER_TOOL_RESULT;
  for (const call of message.tool_calls ?? []) {
    tokens += PER_TOOL_CALL + estimateTextTokens(JSON.stringify({ name: call.function.name, arguments: call.function.arguments }));
  }
  tokens += IMAGE_TOKENS * (message.images?.length ?? 0);
  perMessage.set(message, tokens);
  return tokens;
}

// A tool's JSON Schema is the same object call after call (config copies the list, not the schemas): estimated once.
const perTool = new WeakMap<object, { name: string; description: string; tokens: number }>();

/** Tokens the tools' block takes in the prompt (their JSON Schemas as the template writes them). */
export function estimateToolTokens(tools: readonly ToolSpec[] | undefined): number {
  if (tools === undefined || tools.length === 0) return 0;
  let tokens = TOOLS_PREAMBLE;
  for (const tool of tools) {
    const known = perTool.get(tool.input);
    if (known !== undefined && known.name === tool.name && known.description === tool.description) {
      tokens += known.tokens;
      continue;
    }
    const own = 1 + estimateTextTokens(JSON.stringify(toolsForOllama([tool])[0]));
    perTool.set(tool.input, { name: tool.name, description: tool.description, tokens: own });
    tokens += own;
  }
  return tokens;
}

/**
 * The raw estimate of a chat request's prompt: every message, the tools' block and the generation prompt. `format`
 * costs nothing here: Ollama turns it into a grammar that constrains decoding; it is not part of the prompt.
 */
export function estimatePromptTokens(messages: readonly EstimatedMessage[], tools?: readonly ToolSpec[]): number {
  let tokens = GENERATION_PROMPT + estimateToolTokens(tools);
  for (const message of messages) tokens += estimateMessageTokens(message);
  return Math.ceil(tokens);
}
