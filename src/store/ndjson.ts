// Reading append-only NDJSON files: a torn last line is a write that never completed, anything else bad is damage.
import { CorruptRunError } from './errors.ts';

export interface ParsedLines<T> {
  items: T[];
  /** Bytes up to the end of the last complete line: where the next append must start (a torn tail is cut off). */
  validBytes: number;
}

const newline = 0x0a;

/** Values as NDJSON text: one JSON line each ('' for none). */
export const toLines = (values: readonly unknown[]): string => values.map((value) => `${JSON.stringify(value)}\n`).join('');

/** A file that is not there (yet): for files a run makes at their first line. */
export function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

/**
 * Parses one JSON value per line. The last line may be torn by a crash mid-append (no newline, or not JSON): it is
 * ignored, since its append never resolved. An unreadable line before it cannot come from a crash and is reported.
 */
export function parseLines<T>(bytes: Buffer, file: string, guard: (value: unknown) => value is T, what: string, from = 0): ParsedLines<T> {
  const items: T[] = [];
  let validBytes = from;
  let start = from;
  let lineNumber = 0; // counted from `from`: the lines before it are counted only for a refusal's message
  // Where the content ends, found once: asking per line whether only whitespace follows would make a read O(n²).
  let contentEnd = bytes.length;
  while (contentEnd > 0 && isBlank(bytes[contentEnd - 1])) contentEnd -= 1;
  while (start < bytes.length) {
    const end = bytes.indexOf(newline, start);
    if (end === -1) break; // torn: written without its newline
    lineNumber += 1;
    const text = bytes.toString('utf8', start, end);
    const last = end >= contentEnd;
    start = end + 1;
    if (text.trim() === '') {
      validBytes = start;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (last) break; // torn: the file grew before its bytes landed
      throw new CorruptRunError(`${file} line ${countLines(bytes, from) + lineNumber} is not valid JSON; it was left untouched`);
    }
    if (!guard(value)) throw new CorruptRunError(`${file} line ${countLines(bytes, from) + lineNumber} is not ${what}; it was left untouched`);
    items.push(value);
    validBytes = start;
  }
  return { items, validBytes };
}

/**
 * Where the last `count` complete lines start (and any torn line after them): a reader that keeps only a file's tail
 * parses and checks only that tail. 0 when the file holds no more than that.
 */
export function tailStart(bytes: Buffer, count: number): number {
  // The last newline ends the last complete line; a torn line after it is one more to step over.
  let at = bytes.length;
  for (let seen = 0; seen <= count; seen++) {
    if (at === 0) return 0;
    at = bytes.lastIndexOf(newline, at - 1);
    if (at === -1) return 0;
  }
  return at + 1;
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 0;
  for (let at = bytes.indexOf(newline); at !== -1 && at < end; at = bytes.indexOf(newline, at + 1)) lines += 1;
  return lines;
}

function isBlank(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
