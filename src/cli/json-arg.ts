// JSON given on the command line: inline (`{…}` / `[…]`) or, for --input, a file holding it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './command.ts';

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Parses a flag's value as JSON; a mistake is a usage error naming the flag. */
export function parseJsonFlag(flag: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--${flag} is not valid JSON (${reason(error)}): ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`);
  }
}

/** --input: absent → `{}`; starting with `{` or `[` → inline JSON; else a path (relative to cwd) of a JSON file. */
export function readInput(value: string | undefined, cwd: string): unknown {
  if (value === undefined) return {};
  const trimmed = value.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return parseJsonFlag('input', trimmed);
  if (trimmed === '') throw new UsageError('--input is empty: give JSON ({...}) or the path of a JSON file');
  let text: string;
  try {
    text = readFileSync(resolve(cwd, value), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--input file not found: ${value} (inline JSON must start with { or [)`);
    throw new UsageError(`--input file ${value} cannot be read: ${reason(error)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`--input file ${value} is not valid JSON: ${reason(error)}`);
  }
}
