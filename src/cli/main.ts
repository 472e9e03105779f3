// The `harness` command: the list of subcommands, run against this process's argv, streams and signals.
import { guardOutput, interruptSelf, outputBroken } from './broken-pipe.ts';
import { report, runCli } from './dispatch.ts';
import { commands } from './registry.ts';
import { processIO } from './io.ts';

const io = processIO();
// A reader that closed our pipe (`| head -1`) stops us as Ctrl-C would: the run checkpoints and frees its lock.
guardOutput([process.stdout, process.stderr], interruptSelf);
// Anything that escapes a command (an error thrown from a timer, say) still ends as one line, never a stack trace;
// with the output gone there is no one to tell, and writing would only fail again.
const escaped = (error: unknown) => {
  if (outputBroken()) return;
  process.exitCode = report(error, io);
};
process.on('uncaughtException', escaped);
process.on('unhandledRejection', escaped);

process.exitCode = await runCli(commands, process.argv.slice(2), io);
// The command is over. Work it gave up on — a tool call a stop cut off that ignores its signal and keeps a timer or a
// file open — must not keep the process alive: if anything still does a moment later, exit anyway.
setTimeout(() => process.exit(), 1000).unref();
