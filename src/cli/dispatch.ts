// Picks the subcommand, answers --help, and turns every error into one line on stderr and an exit code.
import { type CliIO, type Command, ExitCode, UsageError } from './command.ts';
import { loadConfig } from './config.ts';
import { scrubText } from '../util/secrets.ts';
import { exitCodeOf } from './exit-codes.ts';
import { packageVersion } from './version.ts';

/** Loads a command's module only when it is used, so `harness ls` does not pay for the simulator or the checker. */
export type CommandLoader = () => Promise<Command>;
/** Command name → loader, in the order `harness --help` lists them. */
export type CommandRegistry = Readonly<Record<string, CommandLoader>>;

async function loadAll(registry: CommandRegistry): Promise<Command[]> {
  return Promise.all(Object.values(registry).map((load) => load()));
}

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const list = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: harness <command> [options]

A harness for LLM workflows on XState v5: checkpointed runs, guarded retries and escalation, people in
the loop, and an Ollama simulator.

Commands:
${list}

Run 'harness <command> --help' for a command's options; 'harness --version' (-V) prints the version.
Environment: OLLAMA_HOST (where models are served), HARNESS_SNAPSHOTS (directory of run files),
NO_COLOR (no colours), HARNESS_DEBUG=1 (stack traces of internal errors).
`;
}

/** --help / -h anywhere before a `--` asks for help rather than running. */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Edit distance, for the "did you mean" hint. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(name: string, names: readonly string[]): string {
  const best = names.map((n) => ({ n, d: distance(name, n) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? ` (did you mean "${best.n}"?)` : '';
}

/** Runs the command line and returns the process's exit code; never throws. */
export async function runCli(registry: CommandRegistry, argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  const names = Object.keys(registry);
  const loaderOf = (n: string | undefined) => (n !== undefined && Object.hasOwn(registry, n) ? registry[n] : undefined);
  try {
    if (name === undefined) {
      io.stderr.write(overview(await loadAll(registry)));
      return ExitCode.usage;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      const topic = loaderOf(rest[0]);
      io.stdout.write(topic ? `${(await topic()).help}\n` : overview(await loadAll(registry)));
      return ExitCode.ok;
    }
    // -v was the spelling before -V; it stays so that scripts using it keep working.
    if (name === '--version' || name === '-V' || name === '-v') {
      io.stdout.write(`${packageVersion()}\n`);
      return ExitCode.ok;
    }
    const load = loaderOf(name);
    if (!load) {
      const what = name.startsWith('-') ? `unknown option "${name}"` : `unknown command "${name}"${suggestion(name, names)}`;
      io.stderr.write(`harness: ${what}; run 'harness --help' for the list of commands\n`);
      return ExitCode.usage;
    }
    const command = await load();
    if (wantsHelp(rest)) {
      io.stdout.write(`${command.help}\n`);
      return ExitCode.ok;
    }
    await loadConfig(io.cwd); // harness.config.{json,js,ts}: read once, before the command reads its settings
    return await command.run([...rest], io);
  } catch (error) {
    const code = report(error, io);
    if (error instanceof UsageError && name !== undefined) {
      io.stderr.write(`(see 'harness ${name} --help')\n`);
    }
    return code;
  }
}

/** Prints an error as one line (its stack too with HARNESS_DEBUG=1), every URL in it scrubbed of credentials. */
export function report(error: unknown, io: Pick<CliIO, 'stderr' | 'env'>): number {
  const debug = io.env.HARNESS_DEBUG === '1';
  const message = scrubText(error instanceof Error ? error.message : String(error));
  const code = exitCodeOf(error);
  const stack = debug && error instanceof Error && error.stack ? `\n${scrubText(error.stack)}` : '';
  if (code !== undefined) {
    io.stderr.write(`harness: ${message.trim()}${stack}\n`);
    return code;
  }
  io.stderr.write(`harness: internal error: ${message.trim()}${stack}\n`);
  return ExitCode.failed;
}
