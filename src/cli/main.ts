// The `harness` command: the list of subcommands, run against this process's argv, streams and signals.
import { report, runCli } from './dispatch.ts';
import { commands } from './registry.ts';
import { processIO } from './io.ts';

const io = processIO();
// Anything that escapes a command (an error thrown from a timer, say) still ends as one line, never a stack trace.
const escaped = (error: unknown) => {
  process.exitCode = report(error, io);
};
process.on('uncaughtException', escaped);
process.on('unhandledRejection', escaped);

process.exitCode = await runCli(commands, process.argv.slice(2), io);
