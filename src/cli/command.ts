// What a subcommand is: a name, its help text, and a run function that returns an exit code.
import { HarnessError } from '../errors.ts';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes shared by every subcommand (README, "CLI reference"). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  refused: 3,
} as const;

/** A user's mistake on the command line or in its input: printed as one clear line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly exitCode: number = ExitCode.usage) {
    super(message);
  }
}

/**
 * A bad setting (a flag's value or an environment variable such as OLLAMA_HOST) whose message says everything:
 * exit code 2 and that one line, without the help hint a mistyped command line gets.
 */
export class SettingError extends HarnessError {
  override name = 'SettingError';
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  /** One line for `harness --help`. */
  summary: string;
  /** Full `--help` text of the subcommand. */
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** The options a command's parser accepts: the single source its --help is checked against (declared-options.ts). */
export type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/** What parseFlags returns, named so the declaration build (dist/*.d.ts) can write it down. */
export type ParsedFlags<O extends FlagOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>>;

let observer: ((options: FlagOptions) => void) | undefined;

/** Shows every parseFlags call's options to `watch` (or stops, given undefined); see declared-options.ts. */
export function watchFlagOptions(watch: ((options: FlagOptions) => void) | undefined): void {
  observer = watch;
}

/** A value that starts with a dash but is a number (`-3`, `-0.5`, `-1e3`), not an option. */
const negativeNumber = /^-(?:\d|\.\d)/;

/**
 * `--at -3` joined into `--at=-3`: parseArgs calls a dash-led value "ambiguous" and suggests syntax, where the person
 * needs to hear what is wrong with the number; joined, the flag's own check says it. Only for options that take a
 * value, only before a `--`.
 */
function joinNegativeValues(argv: readonly string[], options: FlagOptions): string[] {
  const takesValue = (arg: string): boolean => {
    const name = arg.startsWith('--') ? arg.slice(2) : Object.keys(options).find((key) => options[key]?.short === arg.slice(1));
    return name !== undefined && options[name]?.type === 'string';
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    if (arg.startsWith('-') && !arg.includes('=') && next !== undefined && negativeNumber.test(next) && takesValue(arg)) {
      out.push(arg.startsWith('--') ? `${arg}=${next}` : `${arg}${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** node:util parseArgs with our error type, so a bad flag is a usage error and never a stack trace. */
export function parseFlags<O extends FlagOptions>(argv: string[], options: O, allowPositionals = true): ParsedFlags<O> {
  observer?.(options);
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Parses a flag that must be a non-negative number. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

/** A flag that must be a whole number, at least `min`. */
export function integerFlag(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) {
    throw new UsageError(`--${flag} must be a whole number of at least ${min}, got "${value}"`);
  }
  return n;
}
