// The options a command accepts, read from its own parseFlags call, so its --help can be checked against them.
import { Writable } from 'node:stream';
import type { CliIO, Command, FlagOptions } from './command.ts';
import { watchFlagOptions } from './command.ts';

/** Thrown from inside parseFlags to leave the command before it does anything with its arguments. */
class Declared extends Error {
  constructor(readonly options: FlagOptions) {
    super('options declared');
  }
}

const discard = () => new Writable({ write: (_chunk, _encoding, done) => done() });

/**
 * Runs `command` only as far as its parseFlags call and returns the options it passed: what the command really
 * accepts, with no second list kept by hand. Undefined when the command returned without parsing flags.
 */
export async function declaredOptions(command: Command, cwd: string): Promise<FlagOptions | undefined> {
  const io: CliIO = { stdout: discard(), stderr: discard(), env: {}, cwd };
  watchFlagOptions((options) => {
    throw new Declared(options);
  });
  try {
    await command.run([], io);
    return undefined;
  } catch (error) {
    if (error instanceof Declared) return error.options;
    throw error;
  } finally {
    watchFlagOptions(undefined);
  }
}

/** `--name` (and `-x` for a short alias) of each option, as a person would type them. */
export function optionSpellings(options: FlagOptions): string[] {
  return Object.entries(options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);
}
