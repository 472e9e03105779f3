// Lines of named texts that match a model-given regular expression, matched in a worker thread a signal really ends:
// a pattern like ^(a+)+$ backtracks for hours, and a JavaScript RegExp cannot be interrupted on the thread it runs on.
import { extname } from 'node:path';
import { runOffThread, type OffThreadOptions } from './off-thread.ts';

export interface GrepRequest {
  /** A JavaScript regular expression's source (no slashes). */
  pattern: string;
  /** RegExp flags (`i`, `m`, `s`, `u`…); `g` and `y` are ignored: each line is tested from its start. */
  flags?: string;
  /** The texts to search, each under the name a match reports. */
  files: readonly { name: string; text: string }[];
  /** Stop after this many matching lines (default 100). */
  maxMatches?: number;
}

export interface GrepMatch {
  name: string;
  /** 1-based. */
  line: number;
  text: string;
}

export interface GrepResult {
  matches: GrepMatch[];
  /** More lines matched than `maxMatches`. */
  truncated: boolean;
}

/**
 * Matches on the calling thread: only for patterns that cannot backtrack (an escaped literal), or inside a worker.
 * An invalid pattern throws its SyntaxError.
 */
export function grepLines(request: GrepRequest): GrepResult {
  const expression = new RegExp(request.pattern, (request.flags ?? '').replace(/[gy]/g, ''));
  const max = request.maxMatches ?? 100;
  const matches: GrepMatch[] = [];
  for (const file of request.files) {
    for (const [index, text] of file.text.split('\n').entries()) {
      if (!expression.test(text)) continue;
      if (matches.length >= max) return { matches, truncated: true };
      matches.push({ name: file.name, line: index + 1, text });
    }
  }
  return { matches, truncated: false };
}

/** This very module, as a worker thread loads it: `.ts` in a checkout, `.js` in the built package. */
const self = new URL(`./grep${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

/**
 * `grepLines` in a worker thread: the event loop stays free while the pattern runs, and `signal` or `timeoutMs`
 * terminates the thread however long the pattern would backtrack. Pass a tool's `ctx.signal` to end it at the call's
 * deadline. Texts cross to the thread by copy: bound what you send.
 *
 * @example
 * const { matches } = await grepOffThread({ pattern: args.pattern, files: [{ name: 'notes.md', text }] }, { signal: ctx.signal });
 */
export function grepOffThread(request: GrepRequest, options: OffThreadOptions = {}): Promise<GrepResult> {
  return runOffThread<{ grepLines: typeof grepLines }>(self, 'grepLines', [request], options);
}

/** `text` as a pattern that matches exactly it: safe to run with `grepLines` on any thread. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
