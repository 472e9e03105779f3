// `harness record`: a recording proxy in front of a real Ollama that writes every exchange to a cassette file.
import { startRecorder, type Recorder } from '../../testing/cassette/index.ts';
import { type CliIO, type Command, ExitCode, integerFlag, parseFlags, UsageError } from '../command.ts';
import { maskHost, modelHost } from '../host-arg.ts';
import { stopped, untilSignalled } from '../io.ts';

const help = `Usage: harness record --to <file> [options]

Listens like Ollama and forwards every request to a real Ollama, passing replies (streams too) through
as they arrive, and saves each exchange as one JSON line of <file>: the request, and the reply's status,
content type and body or stream lines with their timing. Replay it with \`harness simulate --cassette <file>\`
or startSimulator({ cassette }). Credentials (user:password@ in the upstream, Authorization headers) are
never saved. Runs until Ctrl+C (SIGINT) or SIGTERM.

Options:
  --to <file>           cassette to write (created, or emptied if it exists)
  --upstream <url>      the Ollama to record (default $OLLAMA_HOST, else http://127.0.0.1:11434)
  --port <n>            port to listen on (default 11435; 0 picks a free port)
  --host <h>            address to bind (default 127.0.0.1)`;

const DEFAULT_PORT = 11435;

/** Records until `stop` aborts, then closes the file. Separate from `run` so it can be driven without signals. */
export async function serveRecorder(argv: string[], io: CliIO, stop: AbortSignal): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    to: { type: 'string' },
    upstream: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`record takes no arguments, got "${positionals.join(' ')}"`);
  if (values.to === undefined || values.to.trim() === '') throw new UsageError('record needs --to <file>, the cassette to write');
  const port = integerFlag('port', values.port, 0) ?? DEFAULT_PORT;
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got "${values.port}"`);
  if (values.host === '') throw new UsageError('--host must not be empty');
  const upstream = modelHost(values.upstream ?? io.env.OLLAMA_HOST ?? '', values.upstream !== undefined ? '--upstream' : 'OLLAMA_HOST');
  let recorder: Recorder;
  try {
    recorder = await startRecorder({
      upstream,
      to: values.to,
      port,
      host: values.host ?? '127.0.0.1',
      onExchange: (entry) => io.stdout.write(`${entry.request.method} ${entry.request.path} → ${entry.reply.status}${entry.reply.cut ? ` (cut by ${entry.reply.cut})` : ''}\n`),
    });
  } catch (error) {
    io.stderr.write(`harness record: ${maskHost(error instanceof Error ? error.message : String(error))}\n`);
    return ExitCode.failed;
  }
  io.stdout.write(`Recording ${recorder.upstream} on ${recorder.url} into ${values.to}\n`);
  await stopped(stop);
  await recorder.close();
  io.stdout.write(`${recorder.count()} exchange(s) saved to ${values.to}\n`);
  return ExitCode.ok;
}

export const recordCommand: Command = {
  name: 'record',
  summary: 'record real Ollama exchanges into a cassette file, for replay with simulate --cassette',
  help,
  async run(argv: string[], io: CliIO): Promise<number> {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${help}\n`);
      return ExitCode.ok;
    }
    return untilSignalled((stop) => serveRecorder(argv, io, stop));
  },
};
